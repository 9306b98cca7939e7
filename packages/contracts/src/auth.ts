import { z } from 'zod';

/** POST `/api/auth/login/` (and `/endoreg-api/auth/login/`): a local account's credentials. */
export const LoginRequest = z.object({
  username: z.string().min(1).max(150),
  password: z.string().min(1).max(1024),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

/** POST `/api/auth/password/`: the signed-in local user changes their own password. */
export const PasswordChangeRequest = z.object({
  currentPassword: z.string().min(1).max(1024),
  newPassword: z.string().min(1).max(1024),
});
export type PasswordChangeRequest = z.infer<typeof PasswordChangeRequest>;

/** `{read, write}` per resource, or a boolean per page (the original's capability map). */
export const Capabilities = z.record(z.string(), z.union([z.boolean(), z.object({ read: z.boolean(), write: z.boolean() })]));
export type Capabilities = z.infer<typeof Capabilities>;

export const SessionUser = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  displayName: z.string(),
  /** OpenID subject, null for local accounts. */
  sub: z.string().nullable(),
  authSource: z.enum(['local', 'oidc']),
  isSuperuser: z.boolean(),
  isStaff: z.boolean(),
  /** The account still has its one-time password: only the password change is open. */
  mustChangePassword: z.boolean(),
  /** Identity written on annotations: `oidc:<sub>` or the username. */
  annotator: z.string(),
});
export type SessionUser = z.infer<typeof SessionUser>;

export const SessionCenter = z.object({
  id: z.number().int(),
  centerKey: z.string(),
  name: z.string(),
});
export type SessionCenter = z.infer<typeof SessionCenter>;

/** GET `/api/auth/session/`: who is signed in, for the web app (camelCase). Anonymous callers get `authenticated: false`. */
export const SessionInfo = z.object({
  authenticated: z.boolean(),
  user: SessionUser.nullable(),
  roles: z.array(z.string()),
  /** Assigned centers; empty with `allCenters` for superusers and staff. */
  centers: z.array(SessionCenter),
  allCenters: z.boolean(),
  capabilities: Capabilities,
  /** Where a browser signs in (`/oidc/authenticate/` with a provider, else `/login/`). */
  loginUrl: z.string(),
  logoutUrl: z.string(),
  authMethods: z.array(z.enum(['local', 'oidc'])),
  /** False only in development with ENFORCE_AUTH=0. */
  authEnforced: z.boolean(),
  csrfCookieName: z.literal('csrftoken'),
  csrfHeaderName: z.literal('X-CSRFToken'),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

/** GET `auth/bootstrap` and `auth/context`: the original's shape. */
export const AuthBootstrap = z.object({
  user: z.object({ username: z.string(), roles: z.array(z.string()), sub: z.string().nullable() }),
  roles: z.array(z.string()),
  capabilities: Capabilities,
});
export type AuthBootstrap = z.infer<typeof AuthBootstrap>;

export const LogoutResponse = z.object({
  detail: z.string(),
  /** The provider's end-session URL to send the browser to (OpenID sessions), else null. */
  logoutUrl: z.string().nullable(),
});
export type LogoutResponse = z.infer<typeof LogoutResponse>;

/** Error body of a refused sign-in or a policy denial (DRF style). */
export const AuthError = z.object({
  detail: z.string(),
  code: z.string().optional(),
});
export type AuthError = z.infer<typeof AuthError>;
