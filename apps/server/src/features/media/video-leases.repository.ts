import type { Executor } from './video-files.repository.js';

export type LeaseMediaType = 'video' | 'pdf';

/**
 * Takes the operation lease of one media file for `owner` until `expiresAt`. Succeeds when
 * no lease exists, the existing one expired, or `owner` already holds it; false otherwise
 * (another run works on the file: the caller answers 409 or returns early).
 */
export async function acquireMediaLease(
  db: Executor,
  lease: { mediaType: LeaseMediaType; mediaId: number; operation: string; owner: string; expiresAt: string },
  now: string,
): Promise<boolean> {
  const updated = await db
    .updateTable('media_operation_leases')
    .set({ operation: lease.operation, owner: lease.owner, acquired_at: now, expires_at: lease.expiresAt })
    .where('media_type', '=', lease.mediaType)
    .where('media_id', '=', lease.mediaId)
    .where((eb) => eb.or([eb('expires_at', '<', now), eb('owner', '=', lease.owner)]))
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) return true;
  const inserted = await db
    .insertInto('media_operation_leases')
    .values({ media_type: lease.mediaType, media_id: lease.mediaId, operation: lease.operation, owner: lease.owner, acquired_at: now, expires_at: lease.expiresAt })
    .onConflict((oc) => oc.columns(['media_type', 'media_id']).doNothing())
    .returning('media_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function renewMediaLease(db: Executor, mediaType: LeaseMediaType, mediaId: number, owner: string, expiresAt: string): Promise<void> {
  await db.updateTable('media_operation_leases').set({ expires_at: expiresAt }).where('media_type', '=', mediaType).where('media_id', '=', mediaId).where('owner', '=', owner).execute();
}

export async function releaseMediaLease(db: Executor, mediaType: LeaseMediaType, mediaId: number, owner: string): Promise<void> {
  await db.deleteFrom('media_operation_leases').where('media_type', '=', mediaType).where('media_id', '=', mediaId).where('owner', '=', owner).execute();
}

/** Media ids of `mediaType` with a live lease (`processing_locked`). */
export async function lockedMediaIds(db: Executor, mediaType: LeaseMediaType, mediaIds: readonly number[], now: string): Promise<Set<number>> {
  if (mediaIds.length === 0) return new Set();
  const rows = await db.selectFrom('media_operation_leases').select('media_id').where('media_type', '=', mediaType).where('media_id', 'in', [...mediaIds]).where('expires_at', '>=', now).execute();
  return new Set(rows.map((r) => Number(r.media_id)));
}

/** `clear-locks`: removes the leases of one media type (or of the given ids); returns how many. */
export async function clearMediaLeases(db: Executor, mediaType: LeaseMediaType, mediaIds?: readonly number[]): Promise<number> {
  let query = db.deleteFrom('media_operation_leases').where('media_type', '=', mediaType);
  if (mediaIds) query = query.where('media_id', 'in', mediaIds.length > 0 ? [...mediaIds] : [-1]);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}
