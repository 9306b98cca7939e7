import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { DB } from '../../db/index.js';
import { dbInt, dbJson, dbTimestamp } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** Server-side state of a session: a pending OpenID sign-in, or the ID token for logout. */
export const SessionData = z.object({
  oidc: z
    .object({
      state: z.string(),
      nonce: z.string(),
      codeVerifier: z.string(),
      redirectUri: z.string(),
      next: z.string(),
    })
    .optional(),
  idToken: z.string().optional(),
});
export type SessionData = z.infer<typeof SessionData>;

const SessionRowSchema = z.object({
  id: z.string(),
  user_id: dbInt.nullable(),
  auth_method: z.string(),
  data: dbJson(SessionData),
  created_at: dbTimestamp,
  last_seen_at: dbTimestamp,
  expires_at: dbTimestamp,
});

export interface SessionRecord {
  readonly id: string;
  readonly userId: number | null;
  readonly authMethod: string;
  readonly data: SessionData;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
}

export async function insertSession(
  db: Executor,
  row: { id: string; userId: number | null; authMethod: string; data: SessionData; ip: string; userAgent: string; now: string; expiresAt: string },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id: row.id,
      user_id: row.userId,
      auth_method: row.authMethod,
      data: JSON.stringify(row.data),
      ip: row.ip.slice(0, 64),
      user_agent: row.userAgent.slice(0, 255),
      created_at: row.now,
      last_seen_at: row.now,
      expires_at: row.expiresAt,
    })
    .execute();
}

export async function findSession(db: Executor, id: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom('sessions').select(['id', 'user_id', 'auth_method', 'data', 'created_at', 'last_seen_at', 'expires_at']).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const r = SessionRowSchema.parse(row);
  return { id: r.id, userId: r.user_id, authMethod: r.auth_method, data: r.data, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at };
}

export async function touchSession(db: Executor, id: string, now: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

/** Deletes one session; true when it existed (a pending sign-in is consumed exactly once). */
export async function deleteSession(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function deleteUserSessions(db: Executor, userId: number, exceptId?: string): Promise<number> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (exceptId !== undefined) query = query.where('id', '<>', exceptId);
  return Number((await query.executeTakeFirst()).numDeletedRows);
}

/** Removes sessions past their absolute expiry or idle longer than the idle limit. */
export async function purgeExpiredSessions(db: Executor, now: string, idleCutoff: string): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<', idleCutoff)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function recordLoginAttempt(db: Executor, attempt: { username: string; ip: string; succeeded: boolean; at: string }): Promise<void> {
  await db.insertInto('login_attempts').values({ username: attempt.username.slice(0, 150), ip: attempt.ip.slice(0, 64), succeeded: attempt.succeeded, attempted_at: attempt.at }).execute();
}

/** Failed attempts since `since` for one username or one address, and the oldest of them. */
export async function failuresSince(db: Executor, by: { username: string } | { ip: string }, since: string): Promise<{ count: number; oldest: string | undefined }> {
  let query = db
    .selectFrom('login_attempts')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('attempted_at').as('oldest')])
    .where('succeeded', '=', false)
    .where('attempted_at', '>', since);
  query = 'username' in by ? query.where('username', '=', by.username) : query.where('ip', '=', by.ip);
  const row = await query.executeTakeFirstOrThrow();
  const oldest = row.oldest === null || row.oldest === undefined ? undefined : new Date(row.oldest as string).toISOString();
  return { count: Number(row.n), oldest };
}

export async function clearFailures(db: Executor, username: string): Promise<void> {
  await db.deleteFrom('login_attempts').where('username', '=', username).where('succeeded', '=', false).execute();
}

export async function purgeLoginAttempts(db: Executor, before: string): Promise<void> {
  await db.deleteFrom('login_attempts').where('attempted_at', '<', before).execute();
}
