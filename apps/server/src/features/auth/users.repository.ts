import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { DB } from '../../db/index.js';
import { dbBool, dbInt, dbTimestamp } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

export const AUTH_SOURCES = ['local', 'oidc'] as const;
export type AuthSource = (typeof AUTH_SOURCES)[number];

const UserRowSchema = z.object({
  id: dbInt,
  username: z.string(),
  email: z.string(),
  display_name: z.string(),
  is_active: dbBool,
  is_staff: dbBool,
  is_superuser: dbBool,
  auth_source: z.enum(AUTH_SOURCES),
  oidc_subject: z.string().nullable(),
  password_hash: z.string().nullable(),
  must_change_password: dbBool,
  password_changed_at: dbTimestamp.nullable(),
  last_login_at: dbTimestamp.nullable(),
  created_at: dbTimestamp,
});

export interface UserRecord {
  readonly id: number;
  readonly username: string;
  readonly email: string;
  readonly displayName: string;
  readonly isActive: boolean;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
  readonly authSource: AuthSource;
  readonly oidcSubject: string | null;
  readonly passwordHash: string | null;
  readonly mustChangePassword: boolean;
  readonly passwordChangedAt: string | null;
  readonly lastLoginAt: string | null;
  readonly createdAt: string;
}

const COLUMNS = [
  'id', 'username', 'email', 'display_name', 'is_active', 'is_staff', 'is_superuser', 'auth_source', 'oidc_subject',
  'password_hash', 'must_change_password', 'password_changed_at', 'last_login_at', 'created_at',
] as const;

function toUser(row: unknown): UserRecord {
  const r = UserRowSchema.parse(row);
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    displayName: r.display_name,
    isActive: r.is_active,
    isStaff: r.is_staff,
    isSuperuser: r.is_superuser,
    authSource: r.auth_source,
    oidcSubject: r.oidc_subject,
    passwordHash: r.password_hash,
    mustChangePassword: r.must_change_password,
    passwordChangedAt: r.password_changed_at,
    lastLoginAt: r.last_login_at,
    createdAt: r.created_at,
  };
}

export async function findUserById(db: Executor, id: number): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

export async function findUserByUsername(db: Executor, username: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').select(COLUMNS).where('username', '=', username).executeTakeFirst();
  return row && toUser(row);
}

export async function findUserBySubject(db: Executor, subject: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').select(COLUMNS).where('auth_source', '=', 'oidc').where('oidc_subject', '=', subject).executeTakeFirst();
  return row && toUser(row);
}

export async function usernameTaken(db: Executor, username: string): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst()) !== undefined;
}

export async function countUsers(db: Executor, excludingUsername?: string): Promise<number> {
  let query = db.selectFrom('users').select((eb) => eb.fn.countAll().as('n'));
  if (excludingUsername !== undefined) query = query.where('username', '<>', excludingUsername);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface NewUser {
  readonly username: string;
  readonly email?: string;
  readonly displayName?: string;
  readonly isStaff?: boolean;
  readonly isSuperuser?: boolean;
  readonly authSource: AuthSource;
  readonly oidcSubject?: string | null;
  readonly passwordHash?: string | null;
  readonly mustChangePassword?: boolean;
}

export async function insertUser(db: Executor, user: NewUser, now: string): Promise<UserRecord> {
  const row = await db
    .insertInto('users')
    .values({
      username: user.username,
      email: user.email ?? '',
      display_name: user.displayName ?? '',
      is_active: true,
      is_staff: user.isStaff ?? false,
      is_superuser: user.isSuperuser ?? false,
      auth_source: user.authSource,
      oidc_subject: user.oidcSubject ?? null,
      password_hash: user.passwordHash ?? null,
      must_change_password: user.mustChangePassword ?? false,
      password_changed_at: user.passwordHash ? now : null,
      created_at: now,
      updated_at: now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return toUser(row);
}

export interface UserChanges {
  email?: string;
  display_name?: string;
  is_active?: boolean;
  is_staff?: boolean;
  is_superuser?: boolean;
  password_hash?: string | null;
  must_change_password?: boolean;
  password_changed_at?: string | null;
  last_login_at?: string;
}

export async function updateUser(db: Executor, id: number, changes: UserChanges, now: string): Promise<void> {
  await db.updateTable('users').set({ ...changes, updated_at: now }).where('id', '=', id).execute();
}

export async function groupsOf(db: Executor, userId: number): Promise<string[]> {
  const rows = await db.selectFrom('user_groups').select('group_name').where('user_id', '=', userId).orderBy('group_name').execute();
  return rows.map((r) => r.group_name);
}

export async function replaceGroups(db: Executor, userId: number, groups: readonly string[]): Promise<void> {
  await db.deleteFrom('user_groups').where('user_id', '=', userId).execute();
  if (groups.length > 0) await db.insertInto('user_groups').values(groups.map((g) => ({ user_id: userId, group_name: g }))).execute();
}

export interface UserCenter {
  readonly id: number;
  readonly centerKey: string;
  readonly name: string;
}

export async function centersOf(db: Executor, userId: number): Promise<UserCenter[]> {
  const rows = await db
    .selectFrom('user_centers')
    .innerJoin('centers', 'centers.id', 'user_centers.center_id')
    .select(['centers.id', 'centers.center_key', 'centers.name'])
    .where('user_centers.user_id', '=', userId)
    .orderBy('centers.center_key')
    .execute();
  return rows.map((r) => ({ id: Number(r.id), centerKey: r.center_key, name: r.name }));
}

export async function replaceCenters(db: Executor, userId: number, centerIds: readonly number[]): Promise<void> {
  await db.deleteFrom('user_centers').where('user_id', '=', userId).execute();
  if (centerIds.length > 0) await db.insertInto('user_centers').values(centerIds.map((c) => ({ user_id: userId, center_id: c }))).execute();
}

export async function centersByKeys(db: Executor, keys: readonly string[]): Promise<UserCenter[]> {
  if (keys.length === 0) return [];
  const rows = await db.selectFrom('centers').select(['id', 'center_key', 'name']).where('center_key', 'in', [...keys]).orderBy('center_key').execute();
  return rows.map((r) => ({ id: Number(r.id), centerKey: r.center_key, name: r.name }));
}

export async function listUsers(db: Executor): Promise<UserRecord[]> {
  const rows = await db.selectFrom('users').select(COLUMNS).orderBy('username').execute();
  return rows.map(toUser);
}
