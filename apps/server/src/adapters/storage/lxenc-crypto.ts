import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { CipherGCMTypes } from 'node:crypto';
import { GCM_TAG_LENGTH } from './lxenc-format.js';

function gcmAlgorithm(key: Buffer): CipherGCMTypes {
  switch (key.length) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new RangeError(`AES key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
}

/**
 * AES-GCM encryption returning ciphertext‖tag, like Python's `AESGCM(key).encrypt(nonce, data, aad)`.
 * `plaintext` may be given in pieces to avoid concatenating them first.
 */
export function gcmSeal(key: Buffer, nonce: Buffer, plaintext: Buffer | readonly Buffer[], aad: Buffer): Buffer {
  return Buffer.concat(gcmSealParts(key, nonce, plaintext, aad));
}

/**
 * `gcmSeal` without the final concatenation: the pieces of ciphertext‖tag in order (the tag is the
 * last piece). The bulk writer hands them to writev, saving a copy of every chunk.
 */
export function gcmSealParts(key: Buffer, nonce: Buffer, plaintext: Buffer | readonly Buffer[], aad: Buffer): Buffer[] {
  const cipher = createCipheriv(gcmAlgorithm(key), key, nonce, { authTagLength: GCM_TAG_LENGTH });
  cipher.setAAD(aad);
  const pieces = Buffer.isBuffer(plaintext) ? [plaintext] : plaintext;
  const out = pieces.map((piece) => cipher.update(piece));
  out.push(cipher.final(), cipher.getAuthTag());
  return out;
}

/**
 * AES-GCM decryption of ciphertext‖tag. Returns undefined when the tag does not verify; the
 * plaintext is only returned after `final()` has verified the tag, never before.
 */
export function gcmOpen(key: Buffer, nonce: Buffer, sealed: Buffer, aad: Buffer): Buffer | undefined {
  if (sealed.length < GCM_TAG_LENGTH) return undefined;
  const decipher = createDecipheriv(gcmAlgorithm(key), key, nonce, { authTagLength: GCM_TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_LENGTH));
  const body = decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_LENGTH));
  try {
    const tail = decipher.final();
    return tail.length === 0 ? body : Buffer.concat([body, tail]);
  } catch {
    return undefined;
  }
}
