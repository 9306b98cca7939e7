import type { FastifyRequest } from 'fastify';
import type { Expression, ExpressionBuilder, ReferenceExpression, SqlBool } from 'kysely';
import { Forbidden } from '../../shared/errors.js';

/** Who is making a request, loaded fresh from the database for every request. */
export interface Actor {
  readonly userId: number;
  readonly username: string;
  /** Role names (the user's groups). */
  readonly roles: readonly string[];
  /** Centers whose data this actor may see, or `all` for superusers and staff. */
  readonly centerIds: readonly number[] | 'all';
  readonly isSuperuser: boolean;
  readonly isStaff: boolean;
  readonly authSource: 'local' | 'oidc';
  readonly oidcSubject: string | null;
  /** A local account with a one-time password: only the password change is open to it. */
  readonly mustChangePassword: boolean;
  /** How this request authenticated. */
  readonly via: 'session' | 'bearer' | 'development';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook for authenticated requests (and on public routes when credentials came along). */
    actor?: Actor;
  }
}

/** A domain 403 that the auth layer records in the audit ledger. */
export class CenterAccessDenied extends Forbidden {
  constructor(
    message: string,
    readonly centerId: number | null,
  ) {
    super(message);
  }
}

/** The centers an actor may see: `all`, or the assigned center ids (possibly none). */
export function allowedCenterIds(actor: Actor): readonly number[] | 'all' {
  if (actor.isSuperuser || actor.isStaff) return 'all';
  return actor.centerIds;
}

/** Like `allowedCenterIds`, but a user without any center gets a 403 instead of an empty list. */
export function requireCenterScope(actor: Actor): readonly number[] | 'all' {
  const scope = allowedCenterIds(actor);
  if (scope !== 'all' && scope.length === 0) throw new CenterAccessDenied('You do not have access to any center.', null);
  return scope;
}

/**
 * Throws a 403 unless the actor may see data of `centerId`. Data without a center
 * is visible only to unrestricted actors (superusers and staff).
 */
export function assertCenterAccess(actor: Actor, centerId: number | null | undefined): void {
  const scope = allowedCenterIds(actor);
  if (scope === 'all') return;
  if (scope.length === 0) throw new CenterAccessDenied('You do not have access to any center.', centerId ?? null);
  if (centerId === null || centerId === undefined || !scope.includes(centerId)) {
    throw new CenterAccessDenied('You do not have access to this center.', centerId ?? null);
  }
}

/**
 * A `where` condition restricting `column` to the actor's centers:
 * `.where(centerScopeFilter(actor, 'video_files.center_id'))`. A user without
 * any center gets a 403 (not an empty list that looks like "no data").
 */
export function centerScopeFilter<DB, TB extends keyof DB>(actor: Actor, column: ReferenceExpression<DB, TB>): (eb: ExpressionBuilder<DB, TB>) => Expression<SqlBool> {
  const scope = requireCenterScope(actor);
  return (eb) => (scope === 'all' ? eb.lit(true) : eb(column, 'in', [...scope]));
}

/** The original's annotator identity: `oidc:<sub>` for OpenID users, else the username. */
export function annotatorOf(actor: Actor): string {
  return actor.authSource === 'oidc' && actor.oidcSubject ? `oidc:${actor.oidcSubject}` : actor.username;
}

/** Exact group membership (no policy implication), e.g. `center_scope:admin`. */
export function hasExactRole(actor: Actor, role: string): boolean {
  return actor.roles.includes(role);
}

/** The request's actor; route handlers of non-public routes can rely on it. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Forbidden('Authentication credentials were not provided.');
  return request.actor;
}
