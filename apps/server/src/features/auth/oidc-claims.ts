import { z } from 'zod';
import { isValidCenterKey } from '../centers/index.js';

/** Claims of an ID or access token, as far as the system reads them; the rest is ignored. */
export const TokenClaims = z
  .object({
    sub: z.string().min(1).max(255),
    preferred_username: z.string().max(255).optional(),
    email: z.string().max(254).optional(),
    name: z.string().max(255).optional(),
  })
  .passthrough();
export type TokenClaims = z.infer<typeof TokenClaims>;

const stringList = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === 'string');
};

/**
 * Role names from any number of claim sets: the flat `roles` claim and Keycloak's
 * `realm_access.roles`, de-duplicated and sorted so that comparisons are stable.
 */
export function rolesFromClaims(...claimSets: ReadonlyArray<Readonly<Record<string, unknown>> | undefined>): string[] {
  const roles = new Set<string>();
  for (const claims of claimSets) {
    if (!claims) continue;
    for (const role of stringList(claims.roles)) roles.add(role);
    const realm = claims.realm_access;
    if (realm && typeof realm === 'object') for (const role of stringList((realm as { roles?: unknown }).roles)) roles.add(role);
  }
  return [...roles].filter((r) => r.length > 0 && r.length <= 150).sort();
}

const CENTER_GROUP = /^\/?centers\/([^/]+)$/;

/**
 * Center keys from the configured claim (default `groups`): Keycloak group paths
 * `/centers/<center_key>` (full-path group mapper) or `centers/<center_key>`.
 * Anything else in the claim is not a center and is ignored.
 */
export function centerKeysFromClaims(claimName: string, ...claimSets: ReadonlyArray<Readonly<Record<string, unknown>> | undefined>): string[] {
  const keys = new Set<string>();
  for (const claims of claimSets) {
    if (!claims) continue;
    for (const value of stringList(claims[claimName])) {
      const key = CENTER_GROUP.exec(value.trim())?.[1];
      if (key !== undefined && isValidCenterKey(key)) keys.add(key);
    }
  }
  return [...keys].sort();
}

/** Username for a new OpenID user: the provider's preferred username, else e-mail, else the subject. */
export function usernameCandidate(claims: TokenClaims): string {
  const raw = claims.preferred_username ?? claims.email ?? `oidc-${claims.sub}`;
  const cleaned = raw.normalize('NFKC').replace(/[^\p{L}\p{N}@.+_-]/gu, '_').slice(0, 120);
  return cleaned === '' ? `oidc-${claims.sub}`.slice(0, 120) : cleaned;
}
