// `npm run bench -- hub`: the cost of the schema 3.0 envelope, measured side by side with the work a
// schema 2.0 transfer does anyway, in one process, on the same in-memory plaintext stream.
//   (a) sender: seal (X25519 + AES-256-GCM records) while hashing the plaintext vs hashing it only
//       (2.0 streams the plain file and the hub checks its SHA-256)
//   (b) hub: open + verify + hash the plaintext vs hashing the plaintext of a 2.0 upload
//   peak RSS growth over the runs: the envelope streams, it never holds the file
// LX_BENCH_SIZE_MB (default 512) sets the size; each side runs three times, the median is reported.
import { execFileSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRecipientKeyring, openEnvelope, sealEnvelope } from '../apps/server/src/adapters/hub-client/index.js';

const MIB = 1024 * 1024;
const SIZE_MB = Number(process.env.LX_BENCH_SIZE_MB ?? 512);
if (!Number.isInteger(SIZE_MB) || SIZE_MB < 8) throw new Error('LX_BENCH_SIZE_MB must be a whole number of at least 8');
const say = (text: string): void => void process.stdout.write(`${text}\n`);

// 8 distinct random MiB blocks repeated: incompressible, and no allocation inside the timed loop.
const blocks = Array.from({ length: 8 }, () => randomFillSync(Buffer.allocUnsafe(MIB)));
async function* plaintext(hash?: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  for (let i = 0; i < SIZE_MB; i += 1) {
    const block = blocks[i % blocks.length] as Buffer;
    hash?.update(block);
    yield block;
  }
}

async function drain(source: AsyncIterable<Uint8Array>, hash?: ReturnType<typeof createHash>): Promise<number> {
  let n = 0;
  for await (const c of source) {
    hash?.update(c);
    n += c.length;
  }
  return n;
}

async function median(run: () => Promise<void>): Promise<number> {
  const seconds: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const t0 = process.hrtime.bigint();
    await run();
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return seconds.sort((a, b) => a - b)[1] as number;
}

const dir = mkdtempSync(join(tmpdir(), 'lx-bench-hub-'));
try {
  execFileSync('openssl', ['genpkey', '-algorithm', 'X25519', '-out', join(dir, 'hub.pem')]);
  const keyring = loadRecipientKeyring([join(dir, 'hub.pem')]);
  const params = { recipientPublicKey: keyring.active.publicKey, recipientKeyId: keyring.active.keyId, targetNodeKey: 'zentrale', transferKey: 'site__video__bench__processed_v1', plaintextBytes: SIZE_MB * MIB };
  // One sealed copy for the hub side, kept as its records (the receiver reads a stream too).
  const sealedRecords: Buffer[] = [];
  for await (const c of sealEnvelope(plaintext(), params).body) sealedRecords.push(Buffer.from(c));
  async function* sealed(): AsyncGenerator<Buffer> {
    yield* sealedRecords;
  }
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

  const plainSend = await median(async () => void (await drain(plaintext(createHash('sha256')))));
  const sealSend = await median(async () => void (await drain(sealEnvelope(plaintext(createHash('sha256')), params).body)));
  const plainReceive = await median(async () => void (await drain(plaintext(), createHash('sha256'))));
  const openReceive = await median(async () => {
    const opened = await openEnvelope(sealed(), keyring);
    await drain(opened.plaintext, createHash('sha256'));
  });
  clearInterval(sample);

  const mbps = (s: number): string => `${(SIZE_MB / s).toFixed(0)} MiB/s`;
  say(`hub envelope, ${SIZE_MB} MiB plaintext, median of 3 runs each`);
  say(`(a) sender  2.0 hash only      ${plainSend.toFixed(3)} s  ${mbps(plainSend)}`);
  say(`    sender  3.0 seal + hash    ${sealSend.toFixed(3)} s  ${mbps(sealSend)}   ratio ${(sealSend / plainSend).toFixed(2)}×`);
  say(`(b) hub     2.0 hash only      ${plainReceive.toFixed(3)} s  ${mbps(plainReceive)}`);
  say(`    hub     3.0 open + hash    ${openReceive.toFixed(3)} s  ${mbps(openReceive)}   ratio ${(openReceive / plainReceive).toFixed(2)}×`);
  say(`peak RSS growth during the runs: ${((peakRss - rssBefore) / MIB).toFixed(1)} MiB (plaintext ${SIZE_MB} MiB; the sealed copy for (b) was allocated before)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
