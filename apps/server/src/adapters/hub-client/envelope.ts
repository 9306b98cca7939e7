import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Schema 3.0 media envelope: the processed file encrypted to the hub's X25519 recipient key.
 *
 *   magic "LXHENV1\n" | u32 BE header length (≤ 4 KiB) | header JSON | records
 *
 * The content key is HKDF-SHA256 over X25519(ephemeral, recipient) with a random salt and the
 * SHA-256 of the header bytes as info, so any header change yields another key. Records are
 * AES-256-GCM over `chunk_size` plaintext bytes (the last may be shorter, an empty file has one
 * empty record), nonce = u64 BE record index (the key is single-use), AAD = index ‖ final flag:
 * reordering, truncation and appending all fail authentication.
 */
export const ENVELOPE_MAGIC = Buffer.from('LXHENV1\n', 'latin1');
export const ENVELOPE_ALGORITHM = 'X25519-HKDF-SHA256-AES-256-GCM';
export const MAX_ENVELOPE_HEADER_BYTES = 4096;
export const DEFAULT_ENVELOPE_CHUNK = 1024 * 1024;
const MAX_ENVELOPE_CHUNK = 16 * 1024 * 1024;
const TAG_BYTES = 16;

export class EnvelopeError extends Error {
  constructor(
    readonly code: 'header_too_large' | 'malformed' | 'unknown_recipient_key' | 'authentication_failed' | 'length_mismatch',
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

export interface EnvelopeHeader {
  readonly alg: typeof ENVELOPE_ALGORITHM;
  readonly recipient_key_id: string;
  readonly target_node_key: string;
  readonly transfer_key: string;
  readonly ephemeral_public_key: string;
  readonly salt: string;
  readonly chunk_size: number;
  readonly plaintext_bytes: number;
}

const rawPublic = (key: KeyObject): Buffer => Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url');
const publicFromRaw = (raw: string): KeyObject => createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw }, format: 'jwk' });

/** Identifier of a recipient key: the first 16 hex digits of the SHA-256 of its raw public key. */
export function recipientKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublic(publicKey)).digest('hex').slice(0, 16);
}

export interface RecipientKey {
  readonly keyId: string;
  /** Raw X25519 public key, base64url. */
  readonly publicKey: string;
  readonly privateKey: KeyObject;
}

/** The hub's recipient keys, keyring style: the first is active (published), the rest retiring. */
export class RecipientKeyring {
  constructor(readonly keys: readonly RecipientKey[]) {
    if (keys.length === 0) throw new Error('a recipient keyring needs at least one key');
  }

  get active(): RecipientKey {
    return this.keys[0] as RecipientKey;
  }

  find(keyId: string): RecipientKey | undefined {
    return this.keys.find((k) => k.keyId === keyId);
  }
}

/** Reads X25519 private keys (PEM, PKCS#8, e.g. `openssl genpkey -algorithm X25519`). */
export function loadRecipientKeyring(files: readonly string[]): RecipientKeyring {
  return new RecipientKeyring(
    files.map((file) => {
      const privateKey = createPrivateKey(readFileSync(file));
      if (privateKey.asymmetricKeyType !== 'x25519') throw new Error(`${file}: not an X25519 private key`);
      const publicKey = createPublicKey(privateKey);
      return { keyId: recipientKeyId(publicKey), publicKey: rawPublic(publicKey).toString('base64url'), privateKey };
    }),
  );
}

function contentKey(privateKey: KeyObject, publicKey: KeyObject, salt: Buffer, headerBytes: Buffer): Buffer {
  const shared = diffieHellman({ privateKey, publicKey });
  const info = Buffer.concat([Buffer.from('lx-annotate hub envelope v1\0'), createHash('sha256').update(headerBytes).digest()]);
  return Buffer.from(hkdfSync('sha256', shared, salt, info, 32));
}

function recordNonceAndAad(index: number, final: boolean): { nonce: Buffer; aad: Buffer } {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  const aad = Buffer.alloc(9);
  aad.writeBigUInt64BE(BigInt(index), 0);
  aad[8] = final ? 1 : 0;
  return { nonce, aad };
}

function recordCount(plaintextBytes: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(plaintextBytes / chunkSize));
}

export interface SealParams {
  readonly recipientPublicKey: string;
  readonly recipientKeyId: string;
  readonly targetNodeKey: string;
  readonly transferKey: string;
  readonly plaintextBytes: number;
  readonly chunkSize?: number;
}

export interface SealedEnvelope {
  /** Exact size of the envelope in bytes (for Content-Length). */
  readonly totalBytes: number;
  readonly body: AsyncIterable<Buffer>;
}

/** Reads exactly the requested byte counts from an async byte source. */
class ByteReader {
  #buffered: Buffer[] = [];
  #length = 0;
  readonly #iterator: AsyncIterator<Uint8Array>;
  #ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  async #fill(n: number): Promise<void> {
    while (this.#length < n && !this.#ended) {
      const next = await this.#iterator.next();
      if (next.done) this.#ended = true;
      else if (next.value.length > 0) {
        this.#buffered.push(Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength));
        this.#length += next.value.length;
      }
    }
  }

  /** Up to `n` bytes; fewer only at the end of the source. */
  async read(n: number): Promise<Buffer> {
    await this.#fill(n);
    const all = Buffer.concat(this.#buffered);
    const out = all.subarray(0, Math.min(n, all.length));
    const rest = all.subarray(out.length);
    this.#buffered = rest.length > 0 ? [rest] : [];
    this.#length = rest.length;
    return out;
  }

  async exact(n: number, what: string): Promise<Buffer> {
    const out = await this.read(n);
    if (out.length !== n) throw new EnvelopeError('length_mismatch', `envelope ends inside ${what}`);
    return out;
  }

  async atEnd(): Promise<boolean> {
    await this.#fill(1);
    return this.#length === 0;
  }
}

/** Encrypts `source` (exactly `plaintextBytes` bytes) into an envelope for the recipient key. */
export function sealEnvelope(source: AsyncIterable<Uint8Array>, params: SealParams): SealedEnvelope {
  const chunkSize = params.chunkSize ?? DEFAULT_ENVELOPE_CHUNK;
  const ephemeral = generateKeyPairSync('x25519');
  const salt = randomBytes(32);
  const header: EnvelopeHeader = {
    alg: ENVELOPE_ALGORITHM,
    recipient_key_id: params.recipientKeyId,
    target_node_key: params.targetNodeKey,
    transfer_key: params.transferKey,
    ephemeral_public_key: rawPublic(ephemeral.publicKey).toString('base64url'),
    salt: salt.toString('base64url'),
    chunk_size: chunkSize,
    plaintext_bytes: params.plaintextBytes,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  if (headerBytes.length > MAX_ENVELOPE_HEADER_BYTES) throw new EnvelopeError('header_too_large', 'envelope header exceeds 4 KiB');
  const key = contentKey(ephemeral.privateKey, publicFromRaw(params.recipientPublicKey), salt, headerBytes);
  const records = recordCount(params.plaintextBytes, chunkSize);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(headerBytes.length);
  async function* body(): AsyncGenerator<Buffer> {
    yield Buffer.concat([ENVELOPE_MAGIC, prefix, headerBytes]);
    const reader = new ByteReader(source);
    let remaining = params.plaintextBytes;
    for (let index = 0; index < records; index += 1) {
      const take = Math.min(chunkSize, remaining);
      const plain = await reader.exact(take, 'the plaintext (source shorter than declared)');
      remaining -= take;
      const { nonce, aad } = recordNonceAndAad(index, index === records - 1);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(aad);
      yield Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    }
    if (!(await reader.atEnd())) throw new EnvelopeError('length_mismatch', 'the plaintext source is longer than declared');
  }
  const totalBytes = ENVELOPE_MAGIC.length + 4 + headerBytes.length + params.plaintextBytes + records * TAG_BYTES;
  return { totalBytes, body: body() };
}

export interface OpenedEnvelope {
  readonly header: EnvelopeHeader;
  readonly recipientKeyId: string;
  /** Verified plaintext records; throws `EnvelopeError` on any tampering before yielding bad bytes. */
  readonly plaintext: AsyncIterable<Buffer>;
  /** SHA-256 of every envelope byte read; valid once `plaintext` is fully consumed. */
  envelopeSha256(): string;
}

function parseHeader(bytes: Buffer): EnvelopeHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new EnvelopeError('malformed', 'envelope header is not JSON');
  }
  const h = parsed as Partial<EnvelopeHeader>;
  const ok =
    typeof h === 'object' &&
    h !== null &&
    h.alg === ENVELOPE_ALGORITHM &&
    typeof h.recipient_key_id === 'string' &&
    typeof h.target_node_key === 'string' &&
    typeof h.transfer_key === 'string' &&
    typeof h.ephemeral_public_key === 'string' &&
    typeof h.salt === 'string' &&
    Number.isInteger(h.chunk_size) &&
    (h.chunk_size as number) > 0 &&
    (h.chunk_size as number) <= MAX_ENVELOPE_CHUNK &&
    Number.isSafeInteger(h.plaintext_bytes) &&
    (h.plaintext_bytes as number) >= 0;
  if (!ok) throw new EnvelopeError('malformed', 'envelope header is incomplete');
  return h as EnvelopeHeader;
}

/** True when the first bytes are the envelope magic. */
export function looksLikeEnvelope(firstBytes: Buffer): boolean {
  return firstBytes.length >= ENVELOPE_MAGIC.length && firstBytes.subarray(0, ENVELOPE_MAGIC.length).equals(ENVELOPE_MAGIC);
}

/** Reads the header and returns the verified plaintext stream. */
export async function openEnvelope(source: AsyncIterable<Uint8Array>, keyring: RecipientKeyring): Promise<OpenedEnvelope> {
  const hash = createHash('sha256');
  async function* hashing(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
  }
  const reader = new ByteReader(hashing());
  const magic = await reader.read(ENVELOPE_MAGIC.length);
  if (!looksLikeEnvelope(magic)) throw new EnvelopeError('malformed', 'not an envelope');
  const headerLength = (await reader.exact(4, 'the header length')).readUInt32BE(0);
  if (headerLength > MAX_ENVELOPE_HEADER_BYTES) throw new EnvelopeError('header_too_large', 'envelope header exceeds 4 KiB');
  const headerBytes = await reader.exact(headerLength, 'the header');
  const header = parseHeader(headerBytes);
  const recipient = keyring.find(header.recipient_key_id);
  if (!recipient) throw new EnvelopeError('unknown_recipient_key', 'envelope is addressed to an unknown recipient key');
  let key: Buffer;
  try {
    key = contentKey(recipient.privateKey, publicFromRaw(header.ephemeral_public_key), Buffer.from(header.salt, 'base64url'), headerBytes);
  } catch {
    throw new EnvelopeError('malformed', 'envelope ephemeral key is invalid');
  }
  const records = recordCount(header.plaintext_bytes, header.chunk_size);
  async function* plaintext(): AsyncGenerator<Buffer> {
    let remaining = header.plaintext_bytes;
    for (let index = 0; index < records; index += 1) {
      const take = Math.min(header.chunk_size, remaining);
      const record = await reader.exact(take + TAG_BYTES, `record ${index}`);
      remaining -= take;
      const { nonce, aad } = recordNonceAndAad(index, index === records - 1);
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAAD(aad);
      decipher.setAuthTag(record.subarray(take));
      try {
        yield Buffer.concat([decipher.update(record.subarray(0, take)), decipher.final()]);
      } catch {
        throw new EnvelopeError('authentication_failed', `envelope record ${index} failed authentication`);
      }
    }
    if (!(await reader.atEnd())) throw new EnvelopeError('length_mismatch', 'bytes after the last envelope record');
  }
  let digest: string | undefined;
  return { header, recipientKeyId: recipient.keyId, plaintext: plaintext(), envelopeSha256: () => (digest ??= hash.digest('hex')) };
}
