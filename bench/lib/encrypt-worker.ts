// Child process of the storage benchmark: one encryption pass over a page-cached file, measured
// alone so that its peak RSS is its own. Prints one JSON line.
//   encrypt-worker.ts bare  <input> <key file>
//   encrypt-worker.ts lxenc <input> <key file>       (LXENC01 encryptStream into a discarding sink)
//   encrypt-worker.ts store <input> <key file> <storage root> <relative path>   (StorageService.write: disk + fsync)
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { StorageService, encryptStream, loadSingleKey } from '../../apps/server/src/adapters/storage/index.js';

const CHUNK = 1024 * 1024;
const [mode, input, keyFile, storageRoot, relativePath] = process.argv.slice(2);
if (input === undefined || keyFile === undefined) throw new Error('usage: encrypt-worker.ts bare|lxenc|store <input> <key file> [root path]');
const keyring = await loadSingleKey(keyFile);

/**
 * The reference: AES-256-GCM + SHA-256 over the same 1 MiB chunks, delivered by the same read
 * stream. Only the two primitives are timed, so the reference is their cost alone. (Crypto over one
 * reused buffer refilled with readSync measured about half as fast on this machine, which would
 * flatter the ratio.) Returns the bytes processed and the crypto seconds.
 */
async function bare(path: string): Promise<{ bytes: number; seconds: number }> {
  const key = randomBytes(32);
  const prefix = randomBytes(8);
  const hash = createHash('sha256');
  let total = 0;
  let index = 0;
  let cryptoMs = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    const plaintext = chunk as Buffer;
    const nonce = Buffer.alloc(12);
    prefix.copy(nonce);
    nonce.writeUInt32BE(index, 8);
    const began = performance.now();
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.update(plaintext);
    cipher.final();
    cipher.getAuthTag();
    hash.update(plaintext);
    cryptoMs += performance.now() - began;
    total += plaintext.length;
    index += 1;
  }
  hash.digest();
  return { bytes: total, seconds: cryptoMs / 1000 };
}

const discard = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done(), writev: (_chunks, done) => done() });

let began = performance.now();
let bytes: number;
if (mode === 'bare') {
  const reference = await bare(input);
  bytes = reference.bytes;
  began = performance.now() - reference.seconds * 1000;
} else if (mode === 'lxenc') bytes = (await encryptStream(createReadStream(input, { highWaterMark: CHUNK }), discard(), keyring)).plaintextBytes;
else if (mode === 'store' && storageRoot !== undefined && relativePath !== undefined) {
  bytes = (await new StorageService({ root: storageRoot, keyring }).write(relativePath, createReadStream(input, { highWaterMark: CHUNK }))).plaintextBytes;
} else throw new Error(`unknown mode ${mode}`);
const seconds = (performance.now() - began) / 1000;
process.stdout.write(`${JSON.stringify({ mode, bytes, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
