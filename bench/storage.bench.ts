// `npm run bench -- storage`: encrypted storage and protected media delivery, each figure measured
// side by side with its reference in the same run, on this machine, over loopback only.
//   (a) LXENC01 encrypt+SHA-256 of a page-cached file (read, encrypt, hash, frame) vs a bare
//       AES-256-GCM + SHA-256 loop over the same 1 MiB chunks of the same read stream, timing only
//       those two primitives;
//       peak RSS of the writer (StorageService.write, in a child process)
//   (b) 1 MiB random ranges at 16 connections: the app decrypting an LXENC01 file vs nginx sendfile
//       serving the plaintext file
//   (c) the same ranges via X-Accel-Redirect (app authorizes, nginx sends) vs nginx directly
// LX_BENCH_SIZE_MB (default 1024) shrinks the file, LX_BENCH_LOAD_SECONDS (default 8) the load runs.
import { spawn, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MasterKey } from '../apps/server/src/adapters/storage/index.js';
import { startNginx, type NginxInstance } from '../apps/server/test/helpers/nginx.js';
import { combine, runLoad, type LoadResult } from './lib/load.js';

const MIB = 1024 * 1024;
const SIZE_MB = Number(process.env.LX_BENCH_SIZE_MB ?? 1024);
const LOAD_SECONDS = Number(process.env.LX_BENCH_LOAD_SECONDS ?? 8);
const CONNECTIONS = 16;
const RANGE_BYTES = MIB;
const HERE = fileURLToPath(new URL('.', import.meta.url));
const NODE_TSX = [process.execPath, '--conditions=development', '--import', 'tsx'];

if (!Number.isInteger(SIZE_MB) || SIZE_MB < 4) throw new Error('LX_BENCH_SIZE_MB must be a whole number of at least 4');
const say = (text: string): void => void process.stdout.write(`${text}\n`);

interface EncryptRun {
  readonly bytes: number;
  readonly seconds: number;
  readonly maxRssMiB: number;
}

function encryptRun(args: string[]): EncryptRun {
  const r = spawnSync(NODE_TSX[0] as string, [...NODE_TSX.slice(1), join(HERE, 'lib/encrypt-worker.ts'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`encrypt worker ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as EncryptRun;
}

function createInput(path: string): void {
  const block = Buffer.allocUnsafe(MIB);
  const fd = openSync(path, 'w', 0o640);
  try {
    for (let i = 0; i < SIZE_MB; i += 1) {
      randomFillSync(block);
      writeSync(fd, block);
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads the file once so that both sides of (a) start from the page cache. */
function warmPageCache(path: string): void {
  const block = Buffer.allocUnsafe(MIB);
  const fd = openSync(path, 'r');
  try {
    while (readSync(fd, block, 0, MIB, null) > 0);
  } finally {
    closeSync(fd);
  }
}

function startMediaServer(root: string, keyFile: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(NODE_TSX[0] as string, [...NODE_TSX.slice(1), join(HERE, 'lib/media-server.ts'), root, keyFile, '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveStart, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`media server exited with ${code}: ${output}`)));
    child.stdout.on('data', (part: Buffer) => {
      output += part.toString();
      const match = /\{"port":(\d+)\}/.exec(output);
      if (match) {
        resolveStart({
          port: Number(match[1]),
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.pid === undefined) return done();
              const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 5000);
              child.once('exit', () => {
                clearTimeout(timer);
                done();
              });
              process.kill(child.pid, 'SIGTERM');
            }),
        });
      }
    });
  });
}

/** Deterministic uniform offsets (mulberry32), identical for every run. */
function rangesFrom(seed: number, sizeBytes: number): () => { start: number; endInclusive: number } {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    const unit = ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    const start = Math.floor(unit * (sizeBytes - RANGE_BYTES));
    return { start, endInclusive: start + RANGE_BYTES - 1 };
  };
}

interface Target {
  readonly label: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
}

const ROUNDS = 4;

/**
 * Loads every target in turn, ROUNDS times (each round a slice of LX_BENCH_LOAD_SECONDS), so that
 * drifting background load on a shared machine hits all of them alike; then sums per target.
 */
async function loadInterleaved(targets: readonly Target[], input: string): Promise<LoadResult[]> {
  const sizeBytes = SIZE_MB * MIB;
  let mismatches = 0;
  const expected = Buffer.allocUnsafe(RANGE_BYTES);
  const fd = openSync(input, 'r');
  const check = (start: number, body: Buffer): void => {
    readSync(fd, expected, 0, RANGE_BYTES, start);
    if (!body.equals(expected)) mismatches += 1;
  };
  const perTarget: LoadResult[][] = targets.map(() => []);
  try {
    for (const target of targets) {
      await runLoad({ url: target.url, connections: CONNECTIONS, durationMs: 1000, maxRequests: 2000, nextRange: rangesFrom(7, sizeBytes), headers: target.headers ?? {} });
    }
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [index, target] of targets.entries()) {
        perTarget[index]?.push(
          await runLoad({
            url: target.url,
            connections: CONNECTIONS,
            durationMs: (LOAD_SECONDS * 1000) / ROUNDS,
            maxRequests: 50_000,
            nextRange: rangesFrom(42 + round, sizeBytes),
            headers: target.headers ?? {},
            sampleEvery: 97,
            onSample: check,
          }),
        );
      }
    }
  } finally {
    closeSync(fd);
  }
  const results = perTarget.map((runs) => combine(runs));
  results.forEach((result, index) => {
    say(
      `  ${(targets[index]?.label ?? '').padEnd(34)} ${result.mibPerSecond.toFixed(0).padStart(6)} MiB/s  p50 ${result.p50Ms.toFixed(1).padStart(6)} ms  p99 ${result.p99Ms.toFixed(1).padStart(6)} ms  (${result.requests} requests, ${result.errors} errors)`,
    );
  });
  const errors = results.reduce((n, r) => n + r.errors, 0);
  if (errors > 0 || mismatches > 0) throw new Error(`${errors} failed requests, ${mismatches} wrong bodies`);
  return results;
}

interface Row {
  readonly name: string;
  readonly measured: string;
  readonly reference: string;
  readonly value: number;
  readonly target: string;
  readonly pass: boolean;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'lx-bench-storage-'));
  const root = join(work, 'root');
  mkdirSync(root);
  const keyFile = join(work, 'bench.key');
  writeFileSync(keyFile, `${MasterKey.generate().toBase64()}\n`, { mode: 0o600 });
  const input = join(root, 'plain.bin');
  let nginx: NginxInstance | undefined;
  let media: { port: number; stop: () => Promise<void> } | undefined;
  try {
    say(`storage benchmark: ${SIZE_MB} MiB file, ${CONNECTIONS} connections, ${RANGE_BYTES / MIB} MiB ranges, ${LOAD_SECONDS} s per load run`);
    createInput(input);
    warmPageCache(input);

    say('(a) encryption, best of three alternating runs each, every run in its own child process');
    const bare: EncryptRun[] = [];
    const lxenc: EncryptRun[] = [];
    for (let i = 0; i < 3; i += 1) {
      bare.push(encryptRun(['bare', input, keyFile]));
      lxenc.push(encryptRun(['lxenc', input, keyFile]));
    }
    const store = encryptRun(['store', input, keyFile, root, 'enc.bin']);
    const best = (runs: EncryptRun[]): EncryptRun => runs.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
    const mibs = (run: EncryptRun): number => run.bytes / MIB / run.seconds;
    const bareBest = best(bare);
    const lxencBest = best(lxenc);
    say(`  bare AES-256-GCM + SHA-256 (crypto)  ${mibs(bareBest).toFixed(0).padStart(6)} MiB/s  peak RSS ${bareBest.maxRssMiB.toFixed(0)} MiB`);
    say(`  LXENC01 encryptStream (+SHA-256)    ${mibs(lxencBest).toFixed(0).padStart(6)} MiB/s  peak RSS ${lxencBest.maxRssMiB.toFixed(0)} MiB`);
    say(`  StorageService.write (disk, fsync)  ${mibs(store).toFixed(0).padStart(6)} MiB/s  peak RSS ${store.maxRssMiB.toFixed(0)} MiB`);

    media = await startMediaServer(root, keyFile);
    const appPort = media.port;
    nginx = await startNginx({
      http: ({ port }) => `
  upstream lx_app { server 127.0.0.1:${appPort}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    location /protected_media/ { internal; alias ${root}/; }
    location /plain/ { alias ${root}/; }
    location / {
      proxy_pass http://lx_app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Accel-Redirect "";
      # as in deploy/nginx-lx-annotate.conf: app-streamed bodies pass through, not via temp files
      proxy_buffering off;
    }
  }`,
    });
    const token = { 'x-bench-token': 'allowed' };
    say(`(b)/(c) random 1 MiB ranges, ${ROUNDS} interleaved rounds per target (every 97th body compared with the plaintext)`);
    const [nginxPlain, appDirect, appProxied, accel] = await loadInterleaved(
      [
        { label: 'nginx sendfile, plaintext', url: `${nginx.url}/plain/plain.bin` },
        { label: 'app decrypting LXENC01, direct', url: `http://127.0.0.1:${appPort}/media/enc.bin`, headers: token },
        { label: 'app decrypting LXENC01, via nginx', url: `${nginx.url}/media/enc.bin`, headers: token },
        { label: 'X-Accel-Redirect, plaintext', url: `${nginx.url}/media/plain.bin`, headers: token },
      ],
      input,
    );
    if (nginxPlain === undefined || appDirect === undefined || appProxied === undefined || accel === undefined) throw new Error('missing load result');
    const nginxMiBs = nginxPlain.mibPerSecond;
    const nginxP99 = nginxPlain.p99Ms;

    const rows: Row[] = [
      {
        name: '(a) LXENC01 encrypt+SHA-256 / bare loop',
        measured: `${mibs(lxencBest).toFixed(0)} MiB/s`,
        reference: `${mibs(bareBest).toFixed(0)} MiB/s`,
        value: mibs(lxencBest) / mibs(bareBest),
        target: '>= 0.80',
        pass: mibs(lxencBest) / mibs(bareBest) >= 0.8,
      },
      { name: '(a) writer peak RSS (MiB)', measured: `${store.maxRssMiB.toFixed(0)} MiB`, reference: '-', value: store.maxRssMiB, target: '< 150', pass: store.maxRssMiB < 150 },
      {
        name: '(b) app LXENC01 via nginx / nginx',
        measured: `${appProxied.mibPerSecond.toFixed(0)} MiB/s`,
        reference: `${nginxMiBs.toFixed(0)} MiB/s`,
        value: appProxied.mibPerSecond / nginxMiBs,
        target: '>= 0.40',
        pass: appProxied.mibPerSecond / nginxMiBs >= 0.4,
      },
      {
        name: '(b) p99 app via nginx / nginx p99',
        measured: `${appProxied.p99Ms.toFixed(1)} ms`,
        reference: `${nginxP99.toFixed(1)} ms`,
        value: appProxied.p99Ms / nginxP99,
        target: '<= 4.0',
        pass: appProxied.p99Ms / nginxP99 <= 4,
      },
      {
        name: '(b) app LXENC01 direct / nginx',
        measured: `${appDirect.mibPerSecond.toFixed(0)} MiB/s`,
        reference: `${nginxMiBs.toFixed(0)} MiB/s`,
        value: appDirect.mibPerSecond / nginxMiBs,
        target: '>= 0.40',
        pass: appDirect.mibPerSecond / nginxMiBs >= 0.4,
      },
      {
        name: '(b) p99 app direct / nginx p99',
        measured: `${appDirect.p99Ms.toFixed(1)} ms`,
        reference: `${nginxP99.toFixed(1)} ms`,
        value: appDirect.p99Ms / nginxP99,
        target: '<= 4.0',
        pass: appDirect.p99Ms / nginxP99 <= 4,
      },
      {
        name: '(c) X-Accel-Redirect / nginx',
        measured: `${accel.mibPerSecond.toFixed(0)} MiB/s`,
        reference: `${nginxMiBs.toFixed(0)} MiB/s`,
        value: accel.mibPerSecond / nginxMiBs,
        target: '>= 0.75',
        pass: accel.mibPerSecond / nginxMiBs >= 0.75,
      },
    ];
    say('');
    say(`${'figure'.padEnd(42)} ${'measured'.padStart(12)} ${'reference'.padStart(12)} ${'value'.padStart(8)} ${'target'.padStart(8)}  result`);
    for (const row of rows) {
      say(`${row.name.padEnd(42)} ${row.measured.padStart(12)} ${row.reference.padStart(12)} ${row.value.toFixed(2).padStart(8)} ${row.target.padStart(8)}  ${row.pass ? 'PASS' : 'MISS'}`);
    }
  } finally {
    await nginx?.stop();
    await media?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();

