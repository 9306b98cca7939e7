import type { Settings } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import type { Logger } from '../../log/logger.js';
import type { AuditLedger } from '../audit/index.js';
import { AuthService } from './auth.service.js';
import { OidcClient } from './oidc.client.js';
import { initialAdminPasswordFile } from './one-time-password-file.js';
import { UsersService } from './users.service.js';

export {
  type Actor,
  actorOf,
  allowedCenterIds,
  annotatorOf,
  assertCenterAccess,
  CenterAccessDenied,
  centerScopeFilter,
  hasExactRole,
  requireCenterScope,
} from './actor.js';
export { accessForMethod, capabilities, CENTER_SCOPE_ADMIN_ROLE, isAllowed, requiredRole, RESOURCE_NAME, satisfies, SUPER_ROLE } from './auth.policy.js';
export { AuthService, LOGIN_LIMITS, SESSION_COOKIE, type NewSession } from './auth.service.js';
export { UsersService, INITIAL_ADMIN_USERNAME, type CreateUserInput, type UserSummary } from './users.service.js';
export { installAuth, routeTable, declarationProblem, DENIED, type RouteEntry } from './auth.hooks.js';
export { registerAuthRoutes } from './auth.routes.js';
export { hashPassword, verifyPassword } from './password.js';
export { CSRF_COOKIE, CSRF_HEADER } from './csrf.js';
export { initialAdminPasswordFile } from './one-time-password-file.js';
export { OidcClient, OidcUnavailable, InvalidToken } from './oidc.client.js';

/** Wires the auth feature: users, the OpenID client (when a provider is configured) and sessions. */
export function createAuth(deps: { db: Db; settings: Settings; audit: AuditLedger; logger: Logger }): AuthService {
  const { db, settings, audit, logger } = deps;
  const users = new UsersService(db, audit, initialAdminPasswordFile(settings.paths.dataRoot));
  const oidc = settings.auth.oidc.configured ? new OidcClient(settings.auth.oidc, { production: settings.env === 'production', logger }) : undefined;
  return new AuthService(db, users, audit, oidc, settings, logger);
}
