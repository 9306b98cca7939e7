import { createHash, randomBytes } from 'node:crypto';
import { decodeBase64UrlLenient } from './base64url.js';
import { KeyConfigError, LxencError } from './errors.js';
import { gcmOpen, gcmSeal } from './lxenc-crypto.js';
import { DEK_LENGTH, WRAP_NONCE_LENGTH } from './lxenc-format.js';

export const MAX_RETIRING_KEYS = 8;
const WRAP_AAD = Buffer.from('lx-annotate:dek-wrap:v1', 'ascii');

/** A master key (AES-128/192/256, used directly, no KDF) that wraps per-file DEKs. */
export class MasterKey {
  /** First 16 hex characters of SHA-256 over the raw key bytes; safe to log. */
  readonly id: string;
  readonly #bytes: Buffer;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
    this.id = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  }

  /**
   * Parses URL-safe base64 text (padding optional, surrounding whitespace ignored) decoding to
   * 16, 24 or 32 bytes. `source` only labels the error message; the key text never appears in it.
   */
  static fromBase64(text: string, source = 'master key'): MasterKey {
    const bytes = decodeBase64UrlLenient(text.trim());
    if (bytes === undefined) throw new KeyConfigError(`${source} is not URL-safe base64 (alphabet A-Z a-z 0-9 - _)`);
    return MasterKey.fromBytes(bytes, source);
  }

  /** Wraps raw key bytes (copied) of length 16, 24 or 32. */
  static fromBytes(bytes: Uint8Array, source = 'master key'): MasterKey {
    if (bytes.length !== 16 && bytes.length !== 24 && bytes.length !== 32) {
      throw new KeyConfigError(`${source} decodes to ${bytes.length} bytes; it must be 16, 24 or 32 bytes`);
    }
    return new MasterKey(Buffer.from(bytes));
  }

  /** A fresh random 256-bit key (tests, key generation commands). */
  static generate(): MasterKey {
    return new MasterKey(randomBytes(32));
  }

  /** The key as URL-safe base64 with padding, for writing a new key file. */
  toBase64(): string {
    return this.#bytes.toString('base64url').padEnd(Math.ceil(this.#bytes.length / 3) * 4, '=');
  }

  /** @internal Wraps a DEK: returns the 48-byte ciphertext‖tag. */
  wrap(dek: Buffer, wrapNonce: Buffer): Buffer {
    return gcmSeal(this.#bytes, wrapNonce, dek, WRAP_AAD);
  }

  /** @internal Unwraps a DEK, or undefined if this key did not wrap it. */
  unwrap(wrappedDek: Buffer, wrapNonce: Buffer): Buffer | undefined {
    return gcmOpen(this.#bytes, wrapNonce, wrappedDek, WRAP_AAD);
  }

  /**
   * AES-GCM under this key with a caller-chosen AAD, for key material other than LXENC DEKs
   * (the HLS content key wrap binds video, kind and key id through its AAD). Returns ciphertext‖tag.
   */
  sealWithAad(plaintext: Buffer, nonce: Buffer, aad: Buffer): Buffer {
    return gcmSeal(this.#bytes, nonce, plaintext, aad);
  }

  /** Opens what `sealWithAad` produced; undefined when this key or the AAD does not fit. */
  openWithAad(sealed: Buffer, nonce: Buffer, aad: Buffer): Buffer | undefined {
    return gcmOpen(this.#bytes, nonce, sealed, aad);
  }

  /** Keeps key bytes out of logs and inspection. */
  toJSON(): string {
    return `MasterKey(${this.id})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `MasterKey(${this.id})`;
  }
}

/** A freshly wrapped DEK for a new file. */
export interface WrappedDek {
  readonly dek: Buffer;
  readonly wrapNonce: Buffer;
  readonly wrappedDek: Buffer;
  readonly keyId: string;
}

/** An unwrapped DEK and the id of the key that unwrapped it. */
export interface UnwrappedDek {
  readonly dek: Buffer;
  readonly keyId: string;
}

/** One active key (wraps new DEKs) plus up to 8 retiring keys (only unwrap). */
export class Keyring {
  readonly active: MasterKey;
  readonly retiring: readonly MasterKey[];

  constructor(active: MasterKey, retiring: readonly MasterKey[] = []) {
    if (retiring.length > MAX_RETIRING_KEYS) {
      throw new KeyConfigError(`a keyring holds at most ${MAX_RETIRING_KEYS} retiring keys, got ${retiring.length}`);
    }
    const seen = new Set<string>();
    for (const key of [active, ...retiring]) {
      if (seen.has(key.id)) throw new KeyConfigError(`key ${key.id} is listed more than once in the keyring`);
      seen.add(key.id);
    }
    this.active = active;
    this.retiring = [...retiring];
  }

  /** Ids of all keys, active first. */
  get keyIds(): string[] {
    return [this.active.id, ...this.retiring.map((key) => key.id)];
  }

  /** Creates and wraps a random 32-byte DEK under the active key. */
  newDek(): WrappedDek {
    const dek = randomBytes(DEK_LENGTH);
    const wrapNonce = randomBytes(WRAP_NONCE_LENGTH);
    return { dek, wrapNonce, wrappedDek: this.active.wrap(dek, wrapNonce), keyId: this.active.id };
  }

  /** Unwraps with the active key, then each retiring key; `wrong_key` when none fits. */
  unwrapDek(wrappedDek: Buffer, wrapNonce: Buffer, path?: string): UnwrappedDek {
    for (const key of [this.active, ...this.retiring]) {
      const dek = key.unwrap(wrappedDek, wrapNonce);
      if (dek !== undefined && dek.length === DEK_LENGTH) return { dek, keyId: key.id };
    }
    const tried = this.retiring.length === 0 ? 'the active key' : `any of the ${1 + this.retiring.length} keyring keys`;
    throw new LxencError('wrong_key', `its data key cannot be unwrapped with ${tried} (wrong key or corrupted header)`, path);
  }
}
