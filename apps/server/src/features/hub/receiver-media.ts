import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EnvelopeReceipt } from '@lx/contracts';
import { EnvelopeError, looksLikeEnvelope, openEnvelope, type RecipientKeyring } from '../../adapters/hub-client/index.js';
import type { StorageService } from '../../adapters/storage/index.js';
import type { Db } from '../../db/index.js';
import { markMediaApplied } from './metadata-apply.js';
import { updateTransfer, type TransferJob } from './receiver.repository.js';

export const PLAINTEXT_PROHIBITED = 'plaintext uploads are prohibited';

export type MediaOutcome =
  | { readonly kind: 'stored'; readonly sha256: string; readonly storedPath: string; readonly receipt: EnvelopeReceipt | null }
  | { readonly kind: 'replayed' }
  | { readonly kind: 'refused'; readonly status: 400 | 409; readonly body: Record<string, string>; readonly reason: string };

/** Splits the first `n` bytes off a stream without losing any. */
async function peek(source: AsyncIterable<Uint8Array>, n: number): Promise<{ head: Buffer; rest: AsyncIterable<Uint8Array> }> {
  const iterator = source[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    taken.push(Buffer.from(next.value));
    length += next.value.length;
  }
  const head = Buffer.concat(taken);
  async function* rest(): AsyncGenerator<Uint8Array> {
    if (head.length > 0) yield head;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head, rest: rest() };
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of source) void chunk;
}

async function sha256Of(source: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source) hash.update(chunk);
  return hash.digest('hex');
}

/** The processed-file hash the metadata declared; the upload must match it. */
export function declaredMediaHash(transfer: TransferJob): string {
  const rows = transfer.resourceRows;
  return transfer.resourceKind === 'video' ? String(rows.video_file?.processed_video_hash) : String(rows.raw_pdf_state?.processed_file_sha256);
}

function mediaPath(transfer: TransferJob, sha256: string): string {
  const suffix = transfer.resourceKind === 'video' ? String(transfer.resourceRows.video_file?.suffix ?? '.mp4') : '.pdf';
  return `hub_transfers/${transfer.resourceKind === 'video' ? 'videos' : 'reports'}/${sha256}${suffix}`;
}

const refused = (status: 400 | 409, reason: string, body: Record<string, string>): MediaOutcome => ({ kind: 'refused', status, reason, body });

/**
 * Receives one processed-media upload: a plain file (schema 2.0, unless envelopes are required) or
 * an envelope to this hub. The plaintext is streamed into encrypted storage under a staging name,
 * its SHA-256 compared with the declared hash, and only then moved over the final name, so a
 * refused upload never replaces a stored file. A repeat upload after the transfer was applied is
 * verified but never written.
 */
export async function receiveTransferMedia(
  deps: { db: Db; storage: StorageService; keyring: RecipientKeyring | undefined; requireEnvelope: boolean },
  transfer: TransferJob,
  upload: AsyncIterable<Uint8Array>,
  uploadedName: string,
): Promise<MediaOutcome> {
  const { head, rest } = await peek(upload, 8);
  const isEnvelope = looksLikeEnvelope(head);
  const declared = declaredMediaHash(transfer);
  if (!isEnvelope && (transfer.payloadSchemaVersion === '3.0' || deps.requireEnvelope)) {
    await drain(rest);
    return refused(400, 'plaintext_upload', { detail: PLAINTEXT_PROHIBITED });
  }
  let plaintext: AsyncIterable<Uint8Array> = rest;
  let envelope: Awaited<ReturnType<typeof openEnvelope>> | undefined;
  if (isEnvelope) {
    if (!deps.keyring) {
      await drain(rest);
      return refused(400, 'no_recipient_key', { detail: 'This hub has no envelope recipient key configured' });
    }
    try {
      envelope = await openEnvelope(rest, deps.keyring);
    } catch (error) {
      if (error instanceof EnvelopeError) return refused(400, `envelope_${error.code}`, { detail: error.message });
      throw error;
    }
    if (envelope.header.transfer_key !== transfer.transferKey || envelope.header.target_node_key !== transfer.targetNodeKey) {
      return refused(400, 'envelope_misaddressed', { detail: 'Envelope is addressed to another transfer or node' });
    }
    plaintext = envelope.plaintext;
  }

  if (transfer.storedMediaPath !== null) {
    let sha: string;
    try {
      sha = await sha256Of(plaintext);
    } catch (error) {
      if (error instanceof EnvelopeError) return refused(400, `envelope_${error.code}`, { detail: error.message });
      throw error;
    }
    if (envelope) {
      if (transfer.envelopeSha256 !== null && envelope.envelopeSha256() === transfer.envelopeSha256) return { kind: 'replayed' };
      return refused(409, 'inconsistent_replay', { error: 'inconsistent', detail: 'A different envelope was already applied for this transfer' });
    }
    if (sha === declared) return { kind: 'replayed' };
    return refused(400, 'hash_mismatch', { detail: 'Uploaded media hash does not match the declared processed hash' });
  }

  const staging = `hub_transfers/staging/${randomUUID()}`;
  let stored;
  try {
    stored = await deps.storage.write(staging, plaintext);
  } catch (error) {
    if (error instanceof EnvelopeError) return refused(400, `envelope_${error.code}`, { detail: error.message });
    throw error;
  }
  const stagingAbsolute = await deps.storage.resolve(staging);
  if (stored.sha256Hex !== declared) {
    await unlink(stagingAbsolute).catch(() => undefined);
    return refused(400, 'hash_mismatch', { detail: 'Uploaded media hash does not match the declared processed hash' });
  }
  const finalPath = mediaPath(transfer, stored.sha256Hex);
  const finalAbsolute = await deps.storage.resolve(finalPath);
  await mkdir(dirname(finalAbsolute), { recursive: true, mode: 0o750 });
  await rename(stagingAbsolute, finalAbsolute);
  const dir = await open(dirname(finalAbsolute), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  const receipt: EnvelopeReceipt | null = envelope
    ? { plaintext_sha256: stored.sha256Hex, target_node_key: transfer.targetNodeKey, recipient_key_id: envelope.recipientKeyId, envelope_sha256: envelope.envelopeSha256(), plaintext_bytes: stored.plaintextBytes }
    : null;
  const provenance = { ...transfer.provenance, media_uploads: [...((transfer.provenance.media_uploads as unknown[]) ?? []), { media_role: 'processed', stored_name: finalPath, content_hash: stored.sha256Hex, uploaded_name: uploadedName.slice(0, 255), envelope: envelope !== undefined }] };
  await deps.db.transaction().execute(async (trx) => {
    if (transfer.targetObjectId !== null) await markMediaApplied(trx, transfer.resourceKind, transfer.targetObjectId, finalPath, stored.sha256Hex);
    await updateTransfer(trx, transfer.id, {
      transfer_status: 'applied',
      processing_decision: 'skip_processing_preserved_state',
      status_detail: 'processed media received and verified',
      provenance: JSON.stringify(provenance),
      stored_media_path: finalPath,
      envelope_sha256: envelope ? envelope.envelopeSha256() : null,
      envelope_receipt: receipt ? JSON.stringify(receipt) : null,
    });
  });
  return { kind: 'stored', sha256: stored.sha256Hex, storedPath: finalPath, receipt };
}
