const PADDED_URLSAFE = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/;
const UNPADDED_URLSAFE = /^[A-Za-z0-9_-]*$/;

/** URL-safe base64 WITH padding, as Python's `base64.urlsafe_b64encode`. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url').padEnd(Math.ceil(bytes.byteLength / 3) * 4, '=');
}

/**
 * Decodes canonical padded URL-safe base64 (exactly what {@link encodeBase64Url} produces).
 * Returns undefined for anything else: Node's own decoder silently skips invalid characters,
 * so the alphabet, padding and unused trailing bits are checked by round-tripping.
 */
export function decodeBase64UrlStrict(text: string): Buffer | undefined {
  if (!PADDED_URLSAFE.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return encodeBase64Url(bytes) === text ? bytes : undefined;
}

/** Decodes URL-safe base64 whose padding may be omitted; undefined if malformed. */
export function decodeBase64UrlLenient(text: string): Buffer | undefined {
  const unpadded = text.replace(/={1,2}$/, '');
  if (!UNPADDED_URLSAFE.test(unpadded) || unpadded.length % 4 === 1) return undefined;
  if (text.length !== unpadded.length && text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(unpadded, 'base64url');
  return bytes.toString('base64url') === unpadded ? bytes : undefined;
}
