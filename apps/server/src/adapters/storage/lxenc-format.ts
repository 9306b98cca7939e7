import { decodeBase64UrlStrict, encodeBase64Url } from './base64url.js';
import { LxencError } from './errors.js';

/** The 8 bytes every encrypted file starts with. */
export const LXENC_MAGIC = Buffer.from('LXENC01\n', 'ascii');
export const LXENC_ALGORITHM = 'AESGCM-chunked-v1';
export const LXENC_VERSION = 1;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
export const MAX_HEADER_LENGTH = 65536;
export const GCM_TAG_LENGTH = 16;
export const NONCE_PREFIX_LENGTH = 8;
export const WRAP_NONCE_LENGTH = 12;
export const DEK_LENGTH = 32;
export const WRAPPED_DEK_LENGTH = DEK_LENGTH + GCM_TAG_LENGTH;
/** magic + uint32 header length */
export const PREAMBLE_LENGTH = LXENC_MAGIC.length + 4;
/** uint32 length prefix of every chunk record */
export const RECORD_PREFIX_LENGTH = 4;
/** The chunk counter is a uint32 inside the nonce; it must never wrap. */
export const MAX_CHUNKS = 0x1_0000_0000;

/** Decoded header values. */
export interface LxencHeader {
  readonly chunkSize: number;
  readonly noncePrefix: Buffer;
  readonly wrapNonce: Buffer;
  readonly wrappedDek: Buffer;
}

/** Where the chunk records of a file lie, derived from its header and size alone. */
export interface LxencGeometry {
  /** Offset of the first chunk record (12 + H). */
  readonly headerEnd: number;
  readonly chunkSize: number;
  readonly chunkCount: number;
  /** Ciphertext length C of the last chunk (0 when there are no chunks). */
  readonly lastCiphertextLength: number;
  readonly plaintextSize: number;
  readonly fileSize: number;
}

const HEADER_KEYS = ['algorithm', 'chunk_size', 'nonce_prefix', 'version', 'wrap_nonce', 'wrapped_dek'] as const;

/**
 * Serializes the header exactly as Python's `json.dumps(h, sort_keys=True, separators=(",", ":"))`:
 * the insertion order below is the sorted key order and every value is ASCII, so the bytes match.
 */
export function serializeHeader(header: LxencHeader): Buffer {
  const ordered = {
    algorithm: LXENC_ALGORITHM,
    chunk_size: header.chunkSize,
    nonce_prefix: encodeBase64Url(header.noncePrefix),
    version: LXENC_VERSION,
    wrap_nonce: encodeBase64Url(header.wrapNonce),
    wrapped_dek: encodeBase64Url(header.wrappedDek),
  };
  return Buffer.from(JSON.stringify(ordered), 'utf8');
}

/** Builds the bytes that precede the first chunk record: magic, header length, header JSON. */
export function encodePreamble(headerBytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(headerBytes.length);
  return Buffer.concat([LXENC_MAGIC, length, headerBytes]);
}

/** Checks the magic and returns the header length H, validated to 1…65536. */
export function parsePreamble(preamble: Buffer, path?: string): number {
  if (preamble.length < LXENC_MAGIC.length || !preamble.subarray(0, LXENC_MAGIC.length).equals(LXENC_MAGIC)) {
    throw new LxencError('bad_magic', 'does not start with the LXENC01 magic', path);
  }
  if (preamble.length < PREAMBLE_LENGTH) throw new LxencError('truncated', 'ends inside the header length field', path);
  const headerLength = preamble.readUInt32BE(LXENC_MAGIC.length);
  if (headerLength < 1 || headerLength > MAX_HEADER_LENGTH) {
    throw new LxencError('bad_header', `header length ${headerLength} is outside 1…${MAX_HEADER_LENGTH}`, path);
  }
  return headerLength;
}

/** Parses and strictly validates the raw header JSON bytes (exact key set and value types). */
export function parseHeader(headerBytes: Buffer, path?: string): LxencHeader {
  const fail = (detail: string): never => {
    throw new LxencError('bad_header', detail, path);
  };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch {
    return fail('header is not valid UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('header is not a JSON object');
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  if (keys.length !== HEADER_KEYS.length || keys.some((key, i) => key !== HEADER_KEYS[i])) {
    fail(`header keys are [${keys.join(', ')}], expected [${HEADER_KEYS.join(', ')}]`);
  }
  if (record['version'] !== LXENC_VERSION) fail(`unsupported version ${JSON.stringify(record['version'])}`);
  if (record['algorithm'] !== LXENC_ALGORITHM) fail(`unsupported algorithm ${JSON.stringify(record['algorithm'])}`);
  const chunkSize = record['chunk_size'];
  if (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    fail(`chunk_size ${JSON.stringify(chunkSize)} is not an integer in 1…${MAX_CHUNK_SIZE}`);
  }
  const binary = (key: string, length: number): Buffer => {
    const text = record[key];
    const bytes = typeof text === 'string' ? decodeBase64UrlStrict(text) : undefined;
    if (bytes === undefined) return fail(`${key} is not padded URL-safe base64`);
    if (bytes.length !== length) fail(`${key} decodes to ${bytes.length} bytes, expected ${length}`);
    return bytes;
  };
  return {
    chunkSize: chunkSize as number,
    noncePrefix: binary('nonce_prefix', NONCE_PREFIX_LENGTH),
    wrapNonce: binary('wrap_nonce', WRAP_NONCE_LENGTH),
    wrappedDek: binary('wrapped_dek', WRAPPED_DEK_LENGTH),
  };
}

/** Size of a full chunk record: length prefix + chunk_size + tag. */
export function fullRecordLength(chunkSize: number): number {
  return RECORD_PREFIX_LENGTH + chunkSize + GCM_TAG_LENGTH;
}

/**
 * Derives the chunk layout from header end, chunk size and file size. Every chunk but the last is
 * full, so the layout is fully determined; `readLastLength` is then asked for the last record's
 * length field, which must agree. Throws `truncated` / `bad_geometry` on any inconsistency.
 */
export async function computeGeometry(
  headerEnd: number,
  chunkSize: number,
  fileSize: number,
  readLastLength: (offset: number) => Promise<number | undefined>,
  path?: string,
): Promise<LxencGeometry> {
  const payload = fileSize - headerEnd;
  if (payload < 0) throw new LxencError('truncated', 'ends inside the header', path);
  const base = { headerEnd, chunkSize, fileSize };
  if (payload === 0) return { ...base, chunkCount: 0, lastCiphertextLength: 0, plaintextSize: 0 };
  const record = fullRecordLength(chunkSize);
  const fullRecords = Math.floor(payload / record);
  const remainder = payload - fullRecords * record;
  if (remainder > 0 && remainder <= RECORD_PREFIX_LENGTH + GCM_TAG_LENGTH) {
    throw new LxencError('truncated', `ends inside a chunk record (${remainder} trailing bytes)`, path);
  }
  const chunkCount = fullRecords + (remainder > 0 ? 1 : 0);
  if (chunkCount > MAX_CHUNKS) throw new LxencError('bad_geometry', `has ${chunkCount} chunks, more than the nonce counter allows`, path);
  const lastCiphertextLength = remainder > 0 ? remainder - RECORD_PREFIX_LENGTH : chunkSize + GCM_TAG_LENGTH;
  const lastOffset = headerEnd + (chunkCount - 1) * record;
  const declared = await readLastLength(lastOffset);
  if (declared === undefined) throw new LxencError('truncated', 'ends inside the last chunk length field', path);
  if (declared !== lastCiphertextLength) {
    const code = declared > lastCiphertextLength ? 'truncated' : 'bad_geometry';
    throw new LxencError(
      code,
      `size ${fileSize} implies a last chunk of ${lastCiphertextLength} bytes at offset ${lastOffset}, but its length field says ${declared}`,
      path,
    );
  }
  const plaintextSize = (chunkCount - 1) * chunkSize + lastCiphertextLength - GCM_TAG_LENGTH;
  return { ...base, chunkCount, lastCiphertextLength, plaintextSize };
}

/** Nonce of chunk `index`: nonce_prefix ‖ uint32-BE(index). */
export function chunkNonce(noncePrefix: Buffer, index: number): Buffer {
  const nonce = Buffer.alloc(NONCE_PREFIX_LENGTH + 4);
  noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_LENGTH);
  return nonce;
}

/** Offset of chunk record `index`, from the geometry (chunk k starts at 12 + H + k·(4 + chunk_size + 16)). */
export function recordOffset(geometry: Pick<LxencGeometry, 'headerEnd' | 'chunkSize'>, index: number): number {
  return geometry.headerEnd + index * fullRecordLength(geometry.chunkSize);
}

/** Ciphertext length the geometry dictates for chunk `index`. */
export function expectedCiphertextLength(geometry: LxencGeometry, index: number): number {
  return index === geometry.chunkCount - 1 ? geometry.lastCiphertextLength : geometry.chunkSize + GCM_TAG_LENGTH;
}
