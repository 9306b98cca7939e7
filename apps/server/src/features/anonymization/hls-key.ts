import { randomBytes } from 'node:crypto';
import type { Keyring, MasterKey } from '../../adapters/storage/index.js';

/** Stored in `key_wrap_algorithm` of an HLS artifact (contracts §6.2). */
export const HLS_KEY_WRAP_ALGORITHM = 'AESGCM-master-wrap-v1';
const WRAP_NONCE_BYTES = 12;
const CONTENT_KEY_BYTES = 16;

export type HlsArtifactKind = 'raw' | 'processed';

/** What the AAD binds a wrapped content key to: it cannot be replayed for another video, kind or key id. */
export interface HlsKeyContext {
  readonly videoId: number | string;
  readonly kind: HlsArtifactKind;
  readonly keyId: string;
}

export interface WrappedHlsKey {
  readonly keyCiphertext: Buffer;
  readonly keyNonce: Buffer;
  readonly keyWrapAlgorithm: typeof HLS_KEY_WRAP_ALGORITHM;
  /** Id of the master key that wrapped it (safe to log). */
  readonly masterKeyId: string;
}

/** The original's AAD: `endoreg-db:hls-content-key:v1:video=<id>:kind=<kind>:key=<key_id>`. */
export function hlsKeyAad(context: HlsKeyContext): Buffer {
  if (/[:\s]/.test(String(context.videoId)) || /[:\s]/.test(context.keyId)) throw new RangeError('video id and key id must not contain ":" or whitespace');
  return Buffer.from(`endoreg-db:hls-content-key:v1:video=${context.videoId}:kind=${context.kind}:key=${context.keyId}`, 'utf8');
}

/** Wraps a 16-byte HLS content key under the (active) master key with a fresh 12-byte nonce. */
export function wrapHlsContentKey(masterKey: MasterKey, contentKey: Buffer, context: HlsKeyContext): WrappedHlsKey {
  if (contentKey.length !== CONTENT_KEY_BYTES) throw new RangeError(`an HLS content key has ${CONTENT_KEY_BYTES} bytes`);
  const keyNonce = randomBytes(WRAP_NONCE_BYTES);
  return {
    keyCiphertext: masterKey.sealWithAad(contentKey, keyNonce, hlsKeyAad(context)),
    keyNonce,
    keyWrapAlgorithm: HLS_KEY_WRAP_ALGORITHM,
    masterKeyId: masterKey.id,
  };
}

/**
 * Unwraps a stored content key, trying the active then each retiring key (rotation keeps old
 * artifacts playable). Undefined when no key fits or the context differs: the caller answers 404.
 */
export function unwrapHlsContentKey(
  keys: Keyring | MasterKey,
  wrapped: { keyCiphertext: Buffer; keyNonce: Buffer; keyWrapAlgorithm: string },
  context: HlsKeyContext,
): Buffer | undefined {
  if (wrapped.keyWrapAlgorithm !== HLS_KEY_WRAP_ALGORITHM || wrapped.keyNonce.length !== WRAP_NONCE_BYTES) return undefined;
  const aad = hlsKeyAad(context);
  const candidates = 'active' in keys ? [keys.active, ...keys.retiring] : [keys];
  for (const key of candidates) {
    const opened = key.openWithAad(wrapped.keyCiphertext, wrapped.keyNonce, aad);
    if (opened !== undefined && opened.length === CONTENT_KEY_BYTES) return opened;
  }
  return undefined;
}
