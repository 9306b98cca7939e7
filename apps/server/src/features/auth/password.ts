import { randomBytes, randomInt, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Local passwords: scrypt (memory-hard; N=2^15, r=8, p=1 is 32 MiB per hash), a
 * random 16-byte salt per hash, parameters stored with the hash so that they can
 * be raised later without invalidating existing passwords.
 * Stored form: `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`.
 */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Longest accepted password: longer input only costs hashing time. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MIN_PASSWORD_LENGTH = 12;

function scrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  // maxmem must exceed 128*N*r bytes; twice that leaves room for Node's bookkeeping.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFKC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  if (password.length > MAX_PASSWORD_LENGTH) throw new Error('password too long');
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a tampered row from making one verification take minutes or gigabytes.
  const powerOfTwo = Number.isInteger(N) && N >= 2 ** 14 && N <= 2 ** 20 && (N & (N - 1)) === 0;
  if (!powerOfTwo || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const key = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < 16 || key.length !== KEY_BYTES) return undefined;
  return { N, r, p, salt, key };
}

/** Constant-time check of a password against a stored hash; malformed hashes never match. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const parsed = stored ? parseHash(stored) : undefined;
  if (!parsed) {
    await burnHashTime(password);
    return false;
  }
  const candidate = await scrypt(password, parsed.salt, parsed);
  return timingSafeEqual(candidate, parsed.key);
}

const DUMMY_SALT = randomBytes(SALT_BYTES);

/** Spends as long as a real verification, so that unknown accounts cannot be told apart by timing. */
export async function burnHashTime(password: string): Promise<void> {
  await scrypt(password.slice(0, MAX_PASSWORD_LENGTH), DUMMY_SALT, SCRYPT_PARAMS);
}

/** True when the stored hash uses weaker parameters than today's and should be rehashed. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.N < SCRYPT_PARAMS.N || parsed.r < SCRYPT_PARAMS.r;
}

// No 0/O, 1/l/I: one-time passwords are read off a screen or a file and typed.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random password of `length` characters (20 gives about 117 bits). */
export function generatePassword(length = 20): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** Rules for a password a person chooses; the message is shown to them (German). */
export function passwordProblem(password: string, username: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `Das Passwort muss mindestens ${MIN_PASSWORD_LENGTH} Zeichen lang sein.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Das Passwort darf höchstens ${MAX_PASSWORD_LENGTH} Zeichen lang sein.`;
  if (/^\d+$/.test(password)) return 'Das Passwort darf nicht nur aus Ziffern bestehen.';
  if (username !== '' && password.toLowerCase().includes(username.toLowerCase())) return 'Das Passwort darf den Benutzernamen nicht enthalten.';
  if (new Set(password).size < 5) return 'Das Passwort ist zu einfach.';
  return undefined;
}
