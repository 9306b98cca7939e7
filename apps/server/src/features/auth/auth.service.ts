import { createHash, createHmac, randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import type { Settings } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { nowIso } from '../../db/index.js';
import type { Logger } from '../../log/logger.js';
import type { AuditLedger } from '../audit/index.js';
import type { Actor } from './actor.js';
import { csrfTokenValid, issueCsrfToken } from './csrf.js';
import { InvalidToken, OidcClient } from './oidc.client.js';
import { centerKeysFromClaims, rolesFromClaims } from './oidc-claims.js';
import { burnHashTime, needsRehash, verifyPassword } from './password.js';
import {
  clearFailures,
  deleteSession,
  failuresSince,
  findSession,
  insertSession,
  purgeExpiredSessions,
  purgeLoginAttempts,
  recordLoginAttempt,
  touchSession,
  type SessionData,
  type SessionRecord,
} from './sessions.repository.js';
import type { UsersService } from './users.service.js';

/** Failed sign-ins that lock an account name, and an address, for the rest of the window. */
export const LOGIN_LIMITS = { perAccount: 5, perAddress: 20, windowSeconds: 15 * 60 } as const;
/** A pending OpenID sign-in must come back from the provider within this time. */
const PENDING_OIDC_SECONDS = 10 * 60;
const ANONYMOUS_DENIAL_INTERVAL_MS = 60_000;
/** last_seen_at is written at most this often per session (not on every request). */
const TOUCH_INTERVAL_MS = 60_000;

export const SESSION_COOKIE = 'sessionid';

export interface NewSession {
  /** Cookie value (unsigned); only its SHA-256 is stored. */
  readonly token: string;
  readonly csrfToken: string;
  readonly maxAgeSeconds: number;
}

export type LoginOutcome =
  | { readonly ok: true; readonly session: NewSession; readonly actor: Actor }
  | { readonly ok: false; readonly status: 401 | 403 | 429; readonly message: string; readonly retryAfterSeconds?: number };

export interface ResolvedSession {
  readonly id: string;
  readonly record: SessionRecord;
  /** Undefined for a pending OpenID sign-in. */
  readonly actor: Actor | undefined;
}

export interface RequestInfo {
  readonly ip: string;
  readonly userAgent: string;
}

export interface DeniedEvent {
  readonly actor: Actor | undefined;
  readonly method: string;
  readonly route: string;
  readonly resource: string | undefined;
  readonly reason: string;
  readonly ip: string;
  readonly centerId?: number | null;
}

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
export const sessionIdOf = (token: string): string => sha256(token);

/**
 * Sign-in and sessions: local passwords (rate-limited per account and address in the
 * database, so the limit holds across web workers), the OpenID authorization code
 * flow with PKCE, Bearer access tokens, database-backed sessions with idle and
 * absolute timeouts, rotation on sign-in, and the audit trail of all of it.
 */
export class AuthService {
  readonly cookieSecret: string;
  /** No DJANGO_SECRET_KEY (development only: production refuses to start without one). */
  readonly ephemeralKey: boolean;
  readonly #csrfSecret: string;
  #developmentActor: Promise<Actor> | undefined;
  readonly #anonymousDenials = new Map<string, number>();

  constructor(
    private readonly db: Db,
    readonly users: UsersService,
    private readonly audit: AuditLedger,
    readonly oidc: OidcClient | undefined,
    private readonly settings: Settings,
    private readonly logger: Logger,
  ) {
    const configured = settings.auth.secretKey?.reveal();
    this.ephemeralKey = configured === undefined;
    this.cookieSecret = configured ?? randomBytes(32).toString('base64url');
    // A derived key keeps CSRF tokens and cookie signatures from ever being interchangeable.
    this.#csrfSecret = createHmac('sha256', this.cookieSecret).update('lx-annotate csrf').digest('base64url');
  }

  get production(): boolean {
    return this.settings.env === 'production';
  }

  /** Requests run as a development superuser: only with ENFORCE_AUTH=0 in development, never elsewhere. */
  get bypassEnabled(): boolean {
    return this.settings.env === 'development' && !this.settings.auth.enforceAuth;
  }

  /** Where browsers go to sign in: the OpenID start when a provider is configured, else the local form. */
  loginUrl(next?: string): string {
    const base = this.oidc ? '/oidc/authenticate/' : '/login/';
    return next === undefined ? base : `${base}?next=${encodeURIComponent(next)}`;
  }

  csrfToken(binding: string): string {
    return issueCsrfToken(this.#csrfSecret, binding);
  }

  csrfTokenValid(binding: string, token: string | undefined): boolean {
    return csrfTokenValid(this.#csrfSecret, binding, token);
  }

  get csrfSecret(): string {
    return this.#csrfSecret;
  }

  get csrfTrustedOrigins(): readonly string[] {
    return this.settings.http.csrfTrustedOrigins;
  }

  /** Absolute URL the provider sends the browser to after an RP-initiated logout. */
  postLogoutRedirectUri(origin: string): string {
    return new URL(this.settings.auth.oidc.logoutRedirectUrl, `${this.settings.http.baseUrl?.replace(/\/+$/, '') ?? origin}/`).href;
  }

  get logoutRedirectUrl(): string {
    return this.settings.auth.oidc.logoutRedirectUrl;
  }

  get authEnforced(): boolean {
    return !this.bypassEnabled;
  }

  /** Startup: production with a provider configured must reach it (discovery and JWKS) or refuse to serve. */
  async prepare(): Promise<void> {
    if (!this.oidc) return;
    if (this.production) {
      await this.oidc.check();
      return;
    }
    // Outside production a provider that is down only disables OpenID sign-in until it is back.
    this.oidc.check().catch((error: unknown) => this.logger.warn({ reason: (error as Error).message }, 'OpenID provider not reachable; OpenID sign-in is unavailable until it is'));
  }

  async loginLocal(username: string, password: string, request: RequestInfo): Promise<LoginOutcome> {
    const now = new Date();
    const since = new Date(now.getTime() - LOGIN_LIMITS.windowSeconds * 1000).toISOString();
    const accountKey = username.trim().toLowerCase().slice(0, 150);
    const [byAccount, byAddress] = await Promise.all([failuresSince(this.db, { username: accountKey }, since), failuresSince(this.db, { ip: request.ip }, since)]);
    const limited = byAccount.count >= LOGIN_LIMITS.perAccount ? byAccount : byAddress.count >= LOGIN_LIMITS.perAddress ? byAddress : undefined;
    if (limited) {
      const until = new Date(limited.oldest ?? now.toISOString()).getTime() + LOGIN_LIMITS.windowSeconds * 1000;
      const retryAfterSeconds = Math.max(1, Math.ceil((until - now.getTime()) / 1000));
      await this.#auditFailure(username, 'local', 'rate_limited', request.ip);
      return { ok: false, status: 429, message: `Zu viele fehlgeschlagene Anmeldeversuche. Bitte in ${Math.ceil(retryAfterSeconds / 60)} Minuten erneut versuchen.`, retryAfterSeconds };
    }
    const user = await this.users.findByUsername(username);
    let reason: string | undefined;
    if (!user || user.authSource !== 'local' || !user.passwordHash) {
      await burnHashTime(password);
      reason = user ? 'not_a_local_account' : 'unknown_user';
    } else if (!(await verifyPassword(password, user.passwordHash))) {
      reason = 'wrong_password';
    } else if (!user.isActive) {
      reason = 'inactive';
    }
    if (reason !== undefined || !user) {
      await recordLoginAttempt(this.db, { username: accountKey, ip: request.ip, succeeded: false, at: nowIso() });
      await purgeLoginAttempts(this.db, new Date(now.getTime() - 86_400_000).toISOString());
      await this.#auditFailure(username, 'local', reason ?? 'unknown_user', request.ip, user?.id);
      return { ok: false, status: 401, message: 'Benutzername oder Passwort ist falsch.' };
    }
    await clearFailures(this.db, accountKey);
    if (needsRehash(user.passwordHash as string)) await this.users.rehash(user.id, password);
    return this.#signIn(user.id, 'local', {}, request);
  }

  /** Starts an OpenID sign-in: a pending server-side session holds state, nonce and the PKCE verifier. */
  async beginOidc(next: string, origin: string, request: RequestInfo): Promise<{ session: NewSession; authorizationUrl: string }> {
    if (!this.oidc) throw new Error('OpenID Connect is not configured');
    const redirectUri = `${this.settings.http.baseUrl?.replace(/\/+$/, '') ?? origin}/oidc/callback/`;
    const pending = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier(), redirectUri, next };
    const authorizationUrl = await this.oidc.authorizationUrl(redirectUri, pending);
    const token = randomBytes(32).toString('base64url');
    const now = nowIso();
    await insertSession(this.db, {
      id: sessionIdOf(token),
      userId: null,
      authMethod: 'oidc',
      data: { oidc: pending },
      ip: request.ip,
      userAgent: request.userAgent,
      now,
      expiresAt: new Date(Date.parse(now) + PENDING_OIDC_SECONDS * 1000).toISOString(),
    });
    return { session: { token, csrfToken: this.csrfToken('anonymous'), maxAgeSeconds: PENDING_OIDC_SECONDS }, authorizationUrl };
  }

  /** The provider sent the browser back: redeem the code, sync the user, rotate to a signed-in session. */
  async completeOidc(pendingToken: string | undefined, query: URLSearchParams, request: RequestInfo): Promise<(LoginOutcome & { ok: true; next: string }) | (LoginOutcome & { ok: false })> {
    if (!this.oidc) return { ok: false, status: 403, message: 'OpenID Connect ist nicht eingerichtet.' };
    const expired = { ok: false as const, status: 403 as const, message: 'Die Anmeldung ist abgelaufen oder ungültig. Bitte erneut anmelden.' };
    if (!pendingToken) return expired;
    const id = sessionIdOf(pendingToken);
    const pending = await findSession(this.db, id);
    // The pending session is consumed exactly once, whatever the outcome.
    if (!pending || pending.userId !== null || !pending.data.oidc || !(await deleteSession(this.db, id))) return expired;
    if (Date.parse(pending.expiresAt) <= Date.now()) return expired;
    const checks = pending.data.oidc;
    const providerError = query.get('error');
    if (providerError !== null) {
      await this.#auditFailure('', 'oidc', `provider_error:${providerError.slice(0, 64)}`, request.ip);
      return { ok: false, status: 403, message: 'Die Anmeldung wurde beim Anmeldedienst abgebrochen oder abgelehnt.' };
    }
    const callbackUrl = new URL(checks.redirectUri);
    callbackUrl.search = query.toString();
    let result;
    try {
      result = await this.oidc.redeem(callbackUrl, checks);
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).name;
      this.logger.warn({ reason: (error as Error).message }, 'OpenID callback rejected');
      await this.#auditFailure('', 'oidc', `callback_rejected:${String(code).slice(0, 64)}`, request.ip);
      return { ok: false, status: 403, message: 'Die Antwort des Anmeldedienstes war ungültig. Bitte erneut anmelden.' };
    }
    const roles = rolesFromClaims(result.idClaims, result.accessClaims);
    const centerKeys = centerKeysFromClaims(this.settings.auth.oidc.centerClaim, result.idClaims, result.accessClaims);
    const user = await this.users.syncOidcUser(result.idClaims, roles, centerKeys, 'oidc_login');
    if (!user.isActive) {
      await this.#auditFailure(user.username, 'oidc', 'inactive', request.ip, user.id);
      return { ok: false, status: 403, message: 'Dieses Konto ist deaktiviert.' };
    }
    const outcome = await this.#signIn(user.id, 'oidc', result.idToken ? { idToken: result.idToken } : {}, request);
    return outcome.ok ? { ...outcome, next: checks.next } : outcome;
  }

  /** Resolves a session cookie token; expired sessions are deleted on sight. */
  async resolveSession(token: string): Promise<ResolvedSession | undefined> {
    if (token.length < 20 || token.length > 128) return undefined;
    const id = sessionIdOf(token);
    const record = await findSession(this.db, id);
    if (!record) return undefined;
    const now = Date.now();
    const idleLimitMs = this.settings.auth.sessionIdleSeconds * 1000;
    const absoluteLimitMs = this.settings.auth.sessionAbsoluteSeconds * 1000;
    // A pending OpenID sign-in only has its own short expiry; idle and absolute limits apply once signed in.
    const expired =
      Date.parse(record.expiresAt) <= now ||
      (record.userId !== null && (now - Date.parse(record.lastSeenAt) > idleLimitMs || now - Date.parse(record.createdAt) > absoluteLimitMs));
    if (expired) {
      await deleteSession(this.db, id);
      return undefined;
    }
    if (record.userId === null) return { id, record, actor: undefined };
    const actor = await this.users.loadActor(record.userId, 'session');
    if (!actor) {
      await deleteSession(this.db, id);
      return undefined;
    }
    if (now - Date.parse(record.lastSeenAt) > Math.min(TOUCH_INTERVAL_MS, idleLimitMs / 4)) await touchSession(this.db, id, nowIso());
    return { id, record, actor };
  }

  /** Drops a session without an audit entry (the cookie is being replaced: rotation). */
  async discard(token: string): Promise<void> {
    await deleteSession(this.db, sessionIdOf(token));
  }

  /** Ends a session; for OpenID sessions also returns the provider's end-session URL. */
  async logout(token: string | undefined, postLogoutRedirectUri: string): Promise<{ endSessionUrl?: string }> {
    if (!token) return {};
    const id = sessionIdOf(token);
    const record = await findSession(this.db, id);
    if (!record) return {};
    await deleteSession(this.db, id);
    if (record.userId === null) return {};
    const user = await this.users.findById(record.userId);
    await this.audit.append({ action: 'auth.logout', objectType: 'user', objectPk: String(record.userId), actor: user?.username ?? null, data: { method: record.authMethod } });
    if (record.authMethod !== 'oidc' || !this.oidc) return {};
    const endSessionUrl = await this.oidc.endSessionUrl(record.data.idToken, postLogoutRedirectUri);
    return endSessionUrl ? { endSessionUrl } : {};
  }

  /** The actor of a Bearer access token; its roles and centers are synchronised like at sign-in. */
  async actorFromBearer(token: string): Promise<Actor> {
    if (!this.oidc) throw new InvalidToken('no OpenID provider configured');
    const claims = await this.oidc.verifyAccessToken(token);
    const user = await this.users.syncOidcUser(claims, rolesFromClaims(claims), centerKeysFromClaims(this.settings.auth.oidc.centerClaim, claims), 'bearer_token');
    const actor = await this.users.loadActor(user.id, 'bearer');
    if (!actor) throw new InvalidToken('account inactive');
    return actor;
  }

  developmentActor(): Promise<Actor> {
    this.#developmentActor ??= this.users.ensureDevelopmentUser().then(async (user) => {
      const actor = await this.users.loadActor(user.id, 'development');
      if (!actor) throw new Error('the development account is inactive');
      return actor;
    });
    return this.#developmentActor;
  }

  /**
   * Audits a denial. Denials without an identified actor (invalid Bearer tokens, a
   * sign-in form without its CSRF token) are recorded once per address and reason a
   * minute, so that nobody can fill the ledger by sending garbage.
   */
  async recordDenied(event: DeniedEvent): Promise<void> {
    if (!event.actor) {
      const key = `${event.ip}|${event.reason}`;
      const now = Date.now();
      if (now - (this.#anonymousDenials.get(key) ?? 0) < ANONYMOUS_DENIAL_INTERVAL_MS) return;
      if (this.#anonymousDenials.size > 10_000) this.#anonymousDenials.clear();
      this.#anonymousDenials.set(key, now);
    }
    await this.audit.append({
      action: 'auth.access_denied',
      objectType: 'route',
      objectPk: `${event.method} ${event.route}`.slice(0, 255),
      actor: event.actor?.username ?? null,
      centerId: event.centerId ?? null,
      data: { reason: event.reason, resource: event.resource ?? null, ip: event.ip, via: event.actor?.via ?? null },
    });
  }

  async #signIn(userId: number, method: 'local' | 'oidc', data: SessionData, request: RequestInfo): Promise<LoginOutcome> {
    const token = randomBytes(32).toString('base64url');
    const now = nowIso();
    const maxAgeSeconds = this.settings.auth.sessionAbsoluteSeconds;
    await insertSession(this.db, {
      id: sessionIdOf(token),
      userId,
      authMethod: method,
      data,
      ip: request.ip,
      userAgent: request.userAgent,
      now,
      expiresAt: new Date(Date.parse(now) + maxAgeSeconds * 1000).toISOString(),
    });
    await this.users.recordLogin(userId);
    await purgeExpiredSessions(this.db, now, new Date(Date.parse(now) - this.settings.auth.sessionIdleSeconds * 1000).toISOString());
    const actor = await this.users.loadActor(userId, 'session');
    if (!actor) return { ok: false, status: 403, message: 'Dieses Konto ist deaktiviert.' };
    await this.audit.append({ action: 'auth.login_succeeded', objectType: 'user', objectPk: String(userId), actor: actor.username, data: { method, ip: request.ip } });
    return { ok: true, session: { token, csrfToken: this.csrfToken(sessionIdOf(token)), maxAgeSeconds }, actor };
  }

  async #auditFailure(username: string, method: 'local' | 'oidc', reason: string, ip: string, userId?: number): Promise<void> {
    // Names of unknown accounts are hashed: people type passwords into the username field.
    const data: Record<string, unknown> = { method, reason, ip };
    if (userId === undefined && username !== '') data.username_sha256 = sha256(username).slice(0, 16);
    await this.audit.append({ action: 'auth.login_failed', objectType: 'user', objectPk: userId === undefined ? '' : String(userId), actor: userId === undefined ? null : username, data });
  }
}
