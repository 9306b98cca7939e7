/**
 * The route policy of the original (reference-contracts §11), as pure functions.
 * A route names its resource; the method decides read or write; a held role
 * satisfies the required `<resource>:<access>` role by these rules:
 *   - the super role `endoregdb_user` passes everything;
 *   - an exact match passes;
 *   - `data:read` and `data:write` satisfy any `*:read`, `data:write` any `*:write`;
 *   - `<x>:write` implies `<x>:read`.
 * A method that is neither read nor write is denied.
 */

export const SUPER_ROLE = 'endoregdb_user';

/** Exact group that may administer other users' center scope (never implied by another role). */
export const CENTER_SCOPE_ADMIN_ROLE = 'center_scope:admin';

export type Access = 'read' | 'write';

/** Resource names routes may declare: lowercase, no `:` (it separates resource and access). */
export const RESOURCE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function accessForMethod(method: string): Access | undefined {
  const m = method.toUpperCase();
  if (READ_METHODS.has(m)) return 'read';
  if (WRITE_METHODS.has(m)) return 'write';
  return undefined;
}

/** The role a request needs, or undefined for a method the policy does not map (denied). */
export function requiredRole(resource: string, method: string): string | undefined {
  const access = accessForMethod(method);
  if (access === undefined || !RESOURCE_NAME.test(resource)) return undefined;
  return `${resource}:${access}`;
}

/** Does holding `held` satisfy the requirement `required` (`<resource>:<access>`)? */
export function satisfies(held: string, required: string): boolean {
  if (held === SUPER_ROLE || held === required) return true;
  const sep = required.lastIndexOf(':');
  if (sep <= 0) return false;
  const resource = required.slice(0, sep);
  const access = required.slice(sep + 1);
  if (access !== 'read' && access !== 'write') return false;
  if (held === 'data:write') return true;
  if (held === 'data:read') return access === 'read';
  return access === 'read' && held === `${resource}:write`;
}

/** §11 decision for a set of roles; superusers are handled by the caller (they pass). */
export function isAllowed(roles: readonly string[], resource: string, method: string): boolean {
  const required = requiredRole(resource, method);
  if (required === undefined) return false;
  return roles.some((role) => satisfies(role, required));
}

/** Resources the web app asks about; page keys mirror the original's capability names. */
const CAPABILITY_RESOURCES = ['patient', 'video', 'anonymization', 'data'] as const;
const PAGE_CAPABILITIES: Readonly<Record<string, readonly [string, Access]>> = {
  'page.patients.view': ['patient', 'read'],
  'page.videos.view': ['video', 'read'],
  'page.anonymization.overview': ['anonymization', 'read'],
  'page.anonymization.metrics': ['anonymization', 'read'],
  'page.anonymization.validate': ['anonymization', 'write'],
};

export type Capabilities = Record<string, boolean | { read: boolean; write: boolean }>;

/** The original's `capabilities` map: `{read, write}` per resource, booleans per page. */
export function capabilities(roles: readonly string[], isSuperuser: boolean): Capabilities {
  const allowed = (resource: string, access: Access): boolean => isSuperuser || isAllowed(roles, resource, access === 'read' ? 'GET' : 'POST');
  const out: Capabilities = {};
  for (const resource of CAPABILITY_RESOURCES) out[resource] = { read: allowed(resource, 'read'), write: allowed(resource, 'write') };
  for (const [key, [resource, access]] of Object.entries(PAGE_CAPABILITIES)) out[key] = allowed(resource, access);
  out['administration.center_scope'] = isSuperuser || roles.includes(CENTER_SCOPE_ADMIN_ROLE);
  return out;
}
