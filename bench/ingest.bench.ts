// `npm run bench -- ingest`: the ingest paths, each measured side by side with its reference in the
// same run, on this machine, over loopback only.
//   (a) one upload of LX_BENCH_SIZE_MB (default 1024 MiB = 1 GiB) through `POST /api/upload/` of the
//       real `lx-annotate serve` process, compiled as deployed (signed-in session, CSRF, center
//       resolution, streamed into LXENC01 storage while hashing, fsync, upload job + processing
//       hand-off) vs reference Fastify servers in child processes that only parse the multipart body
//       (@fastify/multipart, the same parser), hash it with SHA-256 and write it to disk: once with
//       fsync (the same durability; the ratio target applies to it) and once into the page cache only
//       (shown for transparency: it is bounded by memory, not by the disk). Peak RSS from
//       /proc/<pid>/status (VmHWM). Targets: ratio >= 0.65, server peak RSS < 200 MiB.
//   (b) the watcher: atomic rename of a file into the report drop directory until its upload job row
//       exists, with the real `lx-annotate watch` process. Target: < 2 s + the stability window.
// Each upload runs LX_BENCH_RUNS times (default 2), interleaved with the references; the best run counts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createDatabase, migrateToLatest } from '../apps/server/src/db/index.js';
import { configFrom, tempDataRoot } from '../apps/server/test/helpers/env.js';
import { ensureRuntimeDirectories } from '../apps/server/src/features/admin/index.js';
import { childEnv, REPO_ROOT } from '../apps/server/test/helpers/processes.js';
import { fakeMp4, ingestEnv, MINIMAL_PDF, signIn, streamUpload } from '../apps/server/test/integration/ingest-support.js';

const MIB = 1024 * 1024;
const SIZE_MB = Number(process.env.LX_BENCH_SIZE_MB ?? 1024);
const RUNS = Number(process.env.LX_BENCH_RUNS ?? 2);
const STABLE_SECONDS = 1;
const SELF = fileURLToPath(import.meta.url);
const NODE_TSX = [process.execPath, '--conditions=development', '--import', 'tsx'];
const say = (text: string): void => void process.stdout.write(`${text}\n`);

if (!Number.isInteger(SIZE_MB) || SIZE_MB < 1) throw new Error('LX_BENCH_SIZE_MB must be a whole number of at least 1');

/**
 * Child mode: the reference server. Parses the multipart body with @fastify/multipart (the same
 * parser as the app), hashes with SHA-256 and writes the file; with `durable` it also fsyncs, as
 * the app does before it answers. Answers the hash.
 */
async function referenceServer(dir: string, durable: boolean): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { default: multipart } = await import('@fastify/multipart');
  const app = Fastify({ bodyLimit: 2 * 1024 * MIB });
  await app.register(multipart, { limits: { fileSize: 2 * 1024 * MIB } });
  app.post('/upload/', async (request) => {
    let result: { sha256: string; bytes: number } | undefined;
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      const hash = createHash('sha256');
      let bytes = 0;
      const path = join(dir, `${randomBytes(8).toString('hex')}.bin`);
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      const out = createWriteStream(path, { highWaterMark: MIB });
      await pipeline(part.file, tap, out);
      if (durable) {
        const handle = await open(path, 'r+');
        await handle.sync();
        await handle.close();
      }
      result = { sha256: hash.digest('hex'), bytes };
    }
    return result ?? { error: 'no file' };
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ address })}\n`);
}

function startReference(dir: string, durable: boolean): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(NODE_TSX[0] as string, [...NODE_TSX.slice(1), SELF, '--reference-server', dir, durable ? 'durable' : 'page-cache'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveStart, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`reference server exited with ${code}: ${output}`)));
    child.stdout!.on('data', (part: Buffer) => {
      output += part.toString();
      const match = /\{"address":"([^"]+)"\}/.exec(output);
      if (match?.[1]) resolveStart({ child, base: match[1] });
    });
  });
}

/** Peak resident set size of a process so far, in MiB. */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

async function timedUpload(url: string, headers: Record<string, string>): Promise<number> {
  // Every run starts with no dirty pages from the one before: otherwise the kernel's writeback of
  // the previous gigabyte throttles whichever server happens to run next.
  spawnSync('sync');
  await new Promise((r) => setTimeout(r, 500));
  const began = performance.now();
  const r = await streamUpload(url, headers, 'bench.mp4', SIZE_MB * MIB, { head: fakeMp4(64) });
  const seconds = (performance.now() - began) / 1000;
  if (r.status !== 200 && r.status !== 201) throw new Error(`upload to ${url} answered ${r.status}: ${r.body.slice(0, 300)}`);
  return seconds;
}

/**
 * The server as it is deployed runs compiled JavaScript, not TypeScript through tsx (which alone
 * adds some 60 MiB of resident memory). The CLI is bundled once with esbuild (tsx's own compiler,
 * already installed) into node_modules/.cache; packages stay external and load from node_modules.
 * Without esbuild the sources run through tsx and the RSS figure says so.
 */
async function serverCommand(): Promise<{ argv: string[]; label: string }> {
  try {
    const { build } = (await import('esbuild' as string)) as { build: (options: Record<string, unknown>) => Promise<unknown> };
    const outfile = resolve(REPO_ROOT, 'node_modules/.cache/lx-bench/cli.mjs');
    await build({
      entryPoints: [resolve(REPO_ROOT, 'apps/server/src/main/cli.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['development'],
      outfile,
      logLevel: 'warning',
      plugins: [{ name: 'packages-external', setup(b: any) { b.onResolve({ filter: /^[^./]/ }, (args: { path: string }) => (args.path.startsWith('@lx/') ? undefined : { path: args.path, external: true })); } }],
    });
    return { argv: [process.execPath, outfile], label: 'compiled' };
  } catch (error) {
    say(`  (esbuild unavailable: ${(error as Error).message.split('\n')[0]}; the server runs from sources through tsx)`);
    return { argv: [...NODE_TSX, resolve(REPO_ROOT, 'apps/server/src/main/cli.ts')], label: 'tsx' };
  }
}

function startApi(command: string[], env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(command[0] as string, [...command.slice(1), 'serve', '--host', '127.0.0.1', '--port', '0'], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (part: Buffer): void => {
      output += part.toString();
      const match = /"address":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveStart({ child, base: match[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

async function main(): Promise<void> {
  const dataRoot = tempDataRoot('lx-bench-ingest-');
  const dbFile = join(dataRoot, 'bench.sqlite3');
  const env = ingestEnv({ DATABASE_URL: `sqlite://${dbFile}` }, dataRoot, { WATCHER_STABLE_AFTER_SECONDS: String(STABLE_SECONDS), WATCHER_POLL_INTERVAL_SECONDS: '1' });
  const config = configFrom(env);
  await ensureRuntimeDirectories(config.settings);
  const db = createDatabase(config.settings.database);
  await migrateToLatest(db);
  await db.destroy();
  const { compose } = await import('../apps/server/src/main/compose.js');
  const setup = compose(configFrom(env));
  await setup.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' });
  await setup.auth.users.create({ username: 'bench', password: 'Sommer-Endoskopie-7', roles: ['data:write', 'patient:read'], centerKeys: ['klinik-a'] }, 'bench');
  await setup.close();

  const command = await serverCommand();
  const server = await startApi(command.argv, env);
  const refDir = join(dataRoot, 'reference');
  mkdirSync(refDir);
  const durable = await startReference(refDir, true);
  const cached = await startReference(refDir, false);
  const watcherLog: string[] = [];
  let watcher: ChildProcess | undefined;
  try {
    const session = await signIn(server.base, 'bench');
    say(`(a) ${SIZE_MB} MiB upload over loopback, best of ${RUNS} (server: ${command.label}; sync before each run)`);
    const app: number[] = [];
    const refDurable: number[] = [];
    const refCached: number[] = [];
    const clean = (): void => {
      rmSync(refDir, { recursive: true, force: true });
      mkdirSync(refDir);
    };
    for (let run = 0; run < RUNS; run += 1) {
      refDurable.push(await timedUpload(`${durable.base}/upload/`, {}));
      clean();
      refCached.push(await timedUpload(`${cached.base}/upload/`, {}));
      clean();
      // Fresh random content every run (streamUpload draws its own bytes), so nothing is deduplicated.
      app.push(await timedUpload(`${server.base}/api/upload/`, { ...session.headers, 'idempotency-key': `bench-${run}-${randomBytes(4).toString('hex')}` }));
    }
    const mibs = (seconds: number): number => SIZE_MB / seconds;
    const appBest = Math.min(...app);
    const durableBest = Math.min(...refDurable);
    const cachedBest = Math.min(...refCached);
    const appRss = peakRssMiB(server.child.pid!);
    const line = (label: string, seconds: number, rss: number): void => say(`  ${label.padEnd(52)} ${mibs(seconds).toFixed(0).padStart(5)} MiB/s  ${seconds.toFixed(2).padStart(6)} s  peak RSS ${rss.toFixed(0)} MiB`);
    line('POST /api/upload/ (lx-annotate serve, LXENC01, fsync)', appBest, appRss);
    line('reference: multipart + SHA-256 + disk + fsync', durableBest, peakRssMiB(durable.child.pid!));
    line('reference: multipart + SHA-256 + disk (page cache)', cachedBest, peakRssMiB(cached.child.pid!));
    const ratio = durableBest / appBest;
    say(`  ratio to the durable reference ${ratio.toFixed(2)} (target >= 0.65: ${ratio >= 0.65 ? 'met' : 'NOT met'}); to the page-cache reference ${(cachedBest / appBest).toFixed(2)}`);
    say(`  server peak RSS ${appRss.toFixed(0)} MiB (target < 200: ${appRss < 200 ? 'met' : 'NOT met'})`);

    say(`(b) watcher: atomic rename into report_import/ until the upload job exists (stability window ${STABLE_SECONDS} s, poll 1 s)`);
    watcher = spawn(command.argv[0] as string, [...command.argv.slice(1), 'watch'], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    watcher.stdout!.on('data', (d: Buffer) => watcherLog.push(d.toString()));
    watcher.stderr!.on('data', (d: Buffer) => watcherLog.push(d.toString()));
    for (let i = 0; i < 300 && !watcherLog.join('').includes('lx-annotate watcher started'); i += 1) await new Promise((r) => setTimeout(r, 100));
    const reader = createDatabase(config.settings.database);
    const latencies: number[] = [];
    try {
      const dropDir = config.settings.paths.importDirs.report;
      for (let i = 0; i < 5; i += 1) {
        const content = Buffer.concat([MINIMAL_PDF, randomBytes(MIB)]);
        const hash = createHash('sha256').update(content).digest('hex');
        const temp = join(dropDir, `.incoming-${i}.pdf.tmp`);
        writeFileSync(temp, content);
        const began = performance.now();
        renameSync(temp, join(dropDir, `bericht-${i}.pdf`));
        for (;;) {
          const row = await reader.selectFrom('upload_jobs').select('id').where('content_hash', '=', hash).executeTakeFirst();
          if (row) break;
          if (performance.now() - began > 30_000) throw new Error(`no job after 30 s:\n${watcherLog.join('').slice(-2000)}`);
          await new Promise((r) => setTimeout(r, 10));
        }
        latencies.push((performance.now() - began) / 1000);
      }
    } finally {
      await reader.destroy();
    }
    const worst = Math.max(...latencies);
    say(`  rename → job created: ${latencies.map((s) => `${s.toFixed(2)} s`).join(', ')}`);
    say(`  worst minus the ${STABLE_SECONDS} s stability window: ${(worst - STABLE_SECONDS).toFixed(2)} s (target < 2 s: ${worst - STABLE_SECONDS < 2 ? 'met' : 'NOT met'})`);
  } finally {
    watcher?.kill('SIGTERM');
    durable.child.kill('SIGTERM');
    cached.child.kill('SIGTERM');
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await rm(dataRoot, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--reference-server') await referenceServer(process.argv[3] as string, process.argv[4] === 'durable');
else await main();
