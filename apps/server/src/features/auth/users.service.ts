import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Db } from '../../db/index.js';
import { nowIso } from '../../db/index.js';
import { Conflict, Invalid, NotFound } from '../../shared/errors.js';
import type { AuditLedger } from '../audit/index.js';
import type { Actor } from './actor.js';
import { usernameCandidate, type TokenClaims } from './oidc-claims.js';
import { writeOneTimePasswordFile } from './one-time-password-file.js';
import { generatePassword, hashPassword, passwordProblem, verifyPassword } from './password.js';
import {
  centersByKeys,
  centersOf,
  countUsers,
  findUserById,
  findUserBySubject,
  findUserByUsername,
  groupsOf,
  insertUser,
  listUsers,
  replaceCenters,
  replaceGroups,
  updateUser,
  usernameTaken,
  type UserCenter,
  type UserRecord,
} from './users.repository.js';
import { deleteUserSessions } from './sessions.repository.js';

/** Django's username rule: up to 150 letters, digits and @ . + - _ */
const USERNAME = /^[\p{L}\p{N}@.+_-]{1,150}$/u;
/** Role names as they come from Keycloak or the CLI: printable, no whitespace at the ends. */
const ROLE_NAME = /^[^\s\p{C}](?:[^\p{C}]{0,148}[^\s\p{C}])?$/u;

export const INITIAL_ADMIN_USERNAME = 'admin';
export const DEVELOPMENT_USERNAME = 'development';

export interface CreateUserInput {
  readonly username: string;
  readonly email?: string;
  readonly displayName?: string;
  readonly roles?: readonly string[];
  readonly centerKeys?: readonly string[];
  readonly superuser?: boolean;
  /** Chosen password; without one a password is generated (and must be changed at first login). */
  readonly password?: string;
}

export interface UserSummary {
  readonly id: number;
  readonly username: string;
  readonly email: string;
  readonly authSource: string;
  readonly isActive: boolean;
  readonly isSuperuser: boolean;
  readonly mustChangePassword: boolean;
  readonly roles: readonly string[];
  readonly centerKeys: readonly string[];
  readonly lastLoginAt: string | null;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const sortedUnique = (xs: readonly string[]): string[] => [...new Set(xs)].sort();

/**
 * Accounts: local users (CLI, first-run admin, password changes) and OpenID users
 * (created and synchronised from token claims at each sign-in). Every role and
 * center-scope change is written to the audit ledger.
 */
export class UsersService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLedger,
    /** The first-run admin's password file; removed once that password has been changed. */
    private readonly initialPasswordFile: string,
  ) {}

  async create(input: CreateUserInput, by: string): Promise<{ user: UserRecord; generatedPassword?: string }> {
    if (!USERNAME.test(input.username)) throw new Invalid('Benutzername: bis zu 150 Buchstaben, Ziffern und @ . + - _');
    const roles = this.#validRoles(input.roles ?? []);
    if (input.password !== undefined) {
      const problem = passwordProblem(input.password, input.username);
      if (problem) throw new Invalid(problem);
    }
    const generatedPassword = input.password === undefined ? generatePassword() : undefined;
    const passwordHash = await hashPassword(input.password ?? (generatedPassword as string));
    const user = await this.db.transaction().execute(async (trx) => {
      if (await usernameTaken(trx, input.username)) throw new Conflict(`user "${input.username}" already exists`);
      const centers = await this.#centersFor(trx, input.centerKeys ?? []);
      const created = await insertUser(
        trx,
        {
          username: input.username,
          email: input.email,
          displayName: input.displayName,
          isSuperuser: input.superuser ?? false,
          isStaff: input.superuser ?? false,
          authSource: 'local',
          passwordHash,
          mustChangePassword: generatedPassword !== undefined,
        },
        nowIso(),
      );
      await replaceGroups(trx, created.id, roles);
      await replaceCenters(trx, created.id, centers.map((c) => c.id));
      return { created, centers };
    });
    await this.audit.append({
      action: 'auth.user_created',
      objectType: 'user',
      objectPk: String(user.created.id),
      actor: by,
      data: { username: input.username, auth_source: 'local', superuser: input.superuser ?? false, roles, centers: user.centers.map((c) => c.centerKey) },
    });
    return generatedPassword === undefined ? { user: user.created } : { user: user.created, generatedPassword };
  }

  /** Sets a local user's password (generated when none is given: then it must be changed at next login). */
  async setPassword(username: string, password: string | undefined, by: string): Promise<{ generatedPassword?: string }> {
    const user = await this.#localUser(username);
    if (password !== undefined) {
      const problem = passwordProblem(password, username);
      if (problem) throw new Invalid(problem);
    }
    const generatedPassword = password === undefined ? generatePassword() : undefined;
    const now = nowIso();
    await updateUser(this.db, user.id, { password_hash: await hashPassword(password ?? (generatedPassword as string)), must_change_password: generatedPassword !== undefined, password_changed_at: now }, now);
    // A reset password ends every session the old one opened, and outdates the first-run file.
    await deleteUserSessions(this.db, user.id);
    if (username === INITIAL_ADMIN_USERNAME) await rm(this.initialPasswordFile, { force: true });
    await this.audit.append({ action: 'auth.password_set', objectType: 'user', objectPk: String(user.id), actor: by, data: { username, generated: generatedPassword !== undefined } });
    return generatedPassword === undefined ? {} : { generatedPassword };
  }

  /** A user changes their own password (needs the current one); other sessions end. */
  async changeOwnPassword(userId: number, currentPassword: string, newPassword: string, keepSessionId: string | undefined): Promise<void> {
    const user = await findUserById(this.db, userId);
    if (!user || user.authSource !== 'local' || !user.isActive) throw new Invalid('Für dieses Konto kann hier kein Passwort gesetzt werden.');
    if (!(await verifyPassword(currentPassword, user.passwordHash))) throw new Invalid('Das bisherige Passwort ist falsch.');
    if (currentPassword === newPassword) throw new Invalid('Das neue Passwort muss sich vom bisherigen unterscheiden.');
    const problem = passwordProblem(newPassword, user.username);
    if (problem) throw new Invalid(problem);
    const now = nowIso();
    await updateUser(this.db, user.id, { password_hash: await hashPassword(newPassword), must_change_password: false, password_changed_at: now }, now);
    await deleteUserSessions(this.db, user.id, keepSessionId);
    if (user.mustChangePassword && user.username === INITIAL_ADMIN_USERNAME) await rm(this.initialPasswordFile, { force: true });
    await this.audit.append({ action: 'auth.password_changed', objectType: 'user', objectPk: String(user.id), actor: user.username, data: { username: user.username } });
  }

  async setRoles(username: string, roles: readonly string[], by: string): Promise<{ before: string[]; after: string[] }> {
    const user = await findUserByUsername(this.db, username);
    if (!user) throw new NotFound(`no user "${username}"`);
    const after = this.#validRoles(roles);
    const before = await this.db.transaction().execute(async (trx) => {
      const previous = await groupsOf(trx, user.id);
      await replaceGroups(trx, user.id, after);
      return previous;
    });
    if (!sameList(before, after)) await this.#auditRoles(user, before, after, by, 'admin');
    return { before, after };
  }

  async setCenters(username: string, centerKeys: readonly string[], by: string): Promise<{ before: string[]; after: string[] }> {
    const user = await findUserByUsername(this.db, username);
    if (!user) throw new NotFound(`no user "${username}"`);
    const { before, after } = await this.db.transaction().execute(async (trx) => {
      const centers = await this.#centersFor(trx, centerKeys);
      const previous = (await centersOf(trx, user.id)).map((c) => c.centerKey);
      await replaceCenters(trx, user.id, centers.map((c) => c.id));
      return { before: previous, after: centers.map((c) => c.centerKey) };
    });
    if (!sameList(before, after)) await this.#auditCenters(user, before, after, by, 'admin');
    return { before, after };
  }

  async list(): Promise<UserSummary[]> {
    const users = await listUsers(this.db);
    return Promise.all(
      users.map(async (u) => ({
        id: u.id,
        username: u.username,
        email: u.email,
        authSource: u.authSource,
        isActive: u.isActive,
        isSuperuser: u.isSuperuser,
        mustChangePassword: u.mustChangePassword,
        roles: await groupsOf(this.db, u.id),
        centerKeys: (await centersOf(this.db, u.id)).map((c) => c.centerKey),
        lastLoginAt: u.lastLoginAt,
      })),
    );
  }

  /**
   * First run: when no user exists at all, creates the local superuser `admin` with a
   * random one-time password written to `passwordFile` (0600). Idempotent: with any
   * user present it does nothing.
   */
  async ensureInitialAdmin(passwordFile: string, by: string): Promise<{ created: boolean }> {
    // The account ENFORCE_AUTH=0 development requests run as cannot sign in, so it does not count.
    if ((await countUsers(this.db, DEVELOPMENT_USERNAME)) > 0) return { created: false };
    const password = generatePassword();
    const passwordHash = await hashPassword(password);
    const file = await writeOneTimePasswordFile(passwordFile, password);
    try {
      const created = await this.db.transaction().execute(async (trx) => {
        // Another process may have raced us to the first user.
        if ((await countUsers(trx, DEVELOPMENT_USERNAME)) > 0) return undefined;
        return insertUser(trx, { username: INITIAL_ADMIN_USERNAME, authSource: 'local', isSuperuser: true, isStaff: true, passwordHash, mustChangePassword: true, displayName: 'Administrator' }, nowIso());
      });
      if (!created) {
        await file.discard();
        return { created: false };
      }
      await file.commit();
      await this.audit.append({ action: 'auth.user_created', objectType: 'user', objectPk: String(created.id), actor: by, data: { username: INITIAL_ADMIN_USERNAME, auth_source: 'local', superuser: true, initial_admin: true } });
      return { created: true };
    } catch (error) {
      await file.discard();
      throw error;
    }
  }

  /**
   * Creates or updates the user of an OpenID subject and makes its groups and center
   * scope equal to what the token says (roles replace groups on every sign-in; center
   * keys unknown here are ignored). Changes are audited.
   */
  async syncOidcUser(claims: TokenClaims, roles: readonly string[], centerKeys: readonly string[], source: string): Promise<UserRecord> {
    const wantedRoles = sortedUnique(roles.filter((r) => ROLE_NAME.test(r)));
    const now = nowIso();
    const result = await this.db.transaction().execute(async (trx) => {
      let user = await findUserBySubject(trx, claims.sub);
      let created = false;
      if (!user) {
        let username = usernameCandidate(claims);
        // Never adopt an existing account by name: a local "admin" stays a different person.
        if (await usernameTaken(trx, username)) username = `${username.slice(0, 110)}-${createHash('sha256').update(claims.sub).digest('hex').slice(0, 8)}`;
        user = await insertUser(trx, { username, email: claims.email, displayName: claims.name, authSource: 'oidc', oidcSubject: claims.sub }, now);
        created = true;
      } else if ((claims.email !== undefined && claims.email !== user.email) || (claims.name !== undefined && claims.name !== user.displayName)) {
        await updateUser(trx, user.id, { email: claims.email ?? user.email, display_name: claims.name ?? user.displayName }, now);
      }
      const beforeRoles = await groupsOf(trx, user.id);
      if (!sameList(beforeRoles, wantedRoles)) await replaceGroups(trx, user.id, wantedRoles);
      const centers = await centersByKeys(trx, centerKeys);
      const beforeCenters = (await centersOf(trx, user.id)).map((c) => c.centerKey);
      const afterCenters = centers.map((c) => c.centerKey);
      if (!sameList(beforeCenters, afterCenters)) await replaceCenters(trx, user.id, centers.map((c) => c.id));
      return { user, created, beforeRoles, beforeCenters, afterCenters };
    });
    const { user } = result;
    if (result.created) {
      await this.audit.append({ action: 'auth.user_created', objectType: 'user', objectPk: String(user.id), actor: user.username, data: { username: user.username, auth_source: 'oidc', source } });
    }
    if (!sameList(result.beforeRoles, wantedRoles)) await this.#auditRoles(user, result.beforeRoles, wantedRoles, user.username, source);
    if (!sameList(result.beforeCenters, result.afterCenters)) {
      const unknown = centerKeys.filter((k) => !result.afterCenters.includes(k));
      await this.#auditCenters(user, result.beforeCenters, result.afterCenters, user.username, source, unknown);
    }
    return user;
  }

  /** The account `ENFORCE_AUTH=0` development requests run as (never used in production). */
  async ensureDevelopmentUser(): Promise<UserRecord> {
    const existing = await findUserByUsername(this.db, DEVELOPMENT_USERNAME);
    if (existing) return existing;
    try {
      return await insertUser(this.db, { username: DEVELOPMENT_USERNAME, authSource: 'local', isSuperuser: true, isStaff: true, displayName: 'Entwicklung (ohne Anmeldung)' }, nowIso());
    } catch (error) {
      const raced = await findUserByUsername(this.db, DEVELOPMENT_USERNAME);
      if (raced) return raced;
      throw error;
    }
  }

  findByUsername(username: string): Promise<UserRecord | undefined> {
    return findUserByUsername(this.db, username);
  }

  findById(id: number): Promise<UserRecord | undefined> {
    return findUserById(this.db, id);
  }

  async recordLogin(userId: number): Promise<void> {
    const now = nowIso();
    await updateUser(this.db, userId, { last_login_at: now }, now);
  }

  async rehash(userId: number, password: string): Promise<void> {
    const now = nowIso();
    await updateUser(this.db, userId, { password_hash: await hashPassword(password) }, now);
  }

  centersOf(userId: number): Promise<UserCenter[]> {
    return centersOf(this.db, userId);
  }

  /** The actor of an active user, with roles and center scope as stored now. */
  async loadActor(userId: number, via: Actor['via']): Promise<Actor | undefined> {
    const user = await findUserById(this.db, userId);
    if (!user || !user.isActive) return undefined;
    const [roles, centers] = await Promise.all([groupsOf(this.db, userId), centersOf(this.db, userId)]);
    return {
      userId: user.id,
      username: user.username,
      roles,
      centerIds: user.isSuperuser || user.isStaff ? 'all' : centers.map((c) => c.id),
      isSuperuser: user.isSuperuser,
      isStaff: user.isStaff,
      authSource: user.authSource,
      oidcSubject: user.oidcSubject,
      mustChangePassword: user.authSource === 'local' && user.mustChangePassword,
      via,
    };
  }

  async #localUser(username: string): Promise<UserRecord> {
    const user = await findUserByUsername(this.db, username);
    if (!user) throw new NotFound(`no user "${username}"`);
    if (user.authSource !== 'local') throw new Invalid(`"${username}" signs in with OpenID Connect; its password lives at the provider`);
    return user;
  }

  #validRoles(roles: readonly string[]): string[] {
    const bad = roles.find((r) => !ROLE_NAME.test(r));
    if (bad !== undefined) throw new Invalid(`invalid role name "${bad.slice(0, 40)}"`);
    return sortedUnique(roles);
  }

  async #centersFor(trx: Parameters<typeof centersByKeys>[0], keys: readonly string[]): Promise<UserCenter[]> {
    const wanted = sortedUnique(keys);
    const centers = await centersByKeys(trx, wanted);
    const missing = wanted.filter((k) => !centers.some((c) => c.centerKey === k));
    if (missing.length > 0) throw new Invalid(`unknown center_key ${missing.join(', ')}`);
    return centers;
  }

  async #auditRoles(user: UserRecord, before: readonly string[], after: readonly string[], by: string, source: string): Promise<void> {
    await this.audit.append({ action: 'auth.roles_changed', objectType: 'user', objectPk: String(user.id), actor: by, data: { username: user.username, before, after, source } });
  }

  async #auditCenters(user: UserRecord, before: readonly string[], after: readonly string[], by: string, source: string, unknown: readonly string[] = []): Promise<void> {
    await this.audit.append({
      action: 'auth.center_scope_changed',
      objectType: 'user',
      objectPk: String(user.id),
      actor: by,
      data: { username: user.username, before, after, source, ...(unknown.length > 0 ? { unknown_center_keys: unknown } : {}) },
    });
  }
}
