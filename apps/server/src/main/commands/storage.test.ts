// The storage commands as an operator runs them: real CLI processes, real key files.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { Keyring, MasterKey, StorageService, keyIdOfFile, openDecryptStream } from '../../adapters/storage/index.js';
import { configFrom, tempDataRoot } from '../../../test/helpers/env.js';
import { childEnv, REPO_ROOT } from '../../../test/helpers/processes.js';
import { runCli } from '../cli.js';
import { compose } from '../compose.js';

const CLI = [process.execPath, '--conditions=development', '--import', 'tsx', resolve(REPO_ROOT, 'apps/server/src/main/cli.ts')];

interface Run {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs the CLI keeping stdout as bytes (`storage cat` writes binary plaintext). */
function cli(args: string[], env: Record<string, string>): Run {
  const r = spawnSync(CLI[0] as string, [...CLI.slice(1), ...args], { cwd: REPO_ROOT, env: childEnv(env), timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** Runs a command in this process (cheap); stdout and stderr are collected as text. */
async function lx(args: string[], env: Record<string, string>): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await runCli(args, { out: (text) => (out += text), err: (text) => (err += text), loadConfig: () => configFrom(env) });
  return { status, out, err };
}

function writeKey(dir: string, name: string, key: MasterKey): string {
  const path = join(dir, name);
  writeFileSync(path, `${key.toBase64()}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

function site(): { dataRoot: string; storageDir: string; env: Record<string, string> } {
  const dataRoot = tempDataRoot('lx-storage-cli-');
  return { dataRoot, storageDir: join(dataRoot, 'storage'), env: { DJANGO_ENV: 'development', LX_ANNOTATE_ENCRYPTED_DATA_DIR: dataRoot } };
}

async function plaintextOf(path: string, keyring: Keyring): Promise<Buffer> {
  return Buffer.concat(await (await openDecryptStream(path, keyring)).toArray());
}

describe('storage commands without a key', () => {
  test('commands that need storage exit 2 naming the key variables; others do not need a key', async () => {
    const { env } = site();
    for (const args of [['verify-encrypted-storage'], ['repair-managed-payloads'], ['storage', 'rotate-key']]) {
      const r = await lx(args, env);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /configuration error: LX_ANNOTATE_MASTER_KEY: got no value.*LX_ANNOTATE_MASTER_KEY_FILE.*LX_ANNOTATE_MASTER_KEYRING_FILE/);
    }
    const cat = cli(['storage', 'cat', 'x.pdf'], env);
    assert.equal(cat.status, 2, cat.stderr);
    assert.match(cat.stderr, /LX_ANNOTATE_MASTER_KEY_FILE/);
    // composing a process role reads no key until storage is used
    const runtime = compose(configFrom(env));
    assert.equal(runtime.storage.configured, false);
    await runtime.close();
  });

  test('a malformed key file exits 2 without showing the key', async () => {
    const { dataRoot, env } = site();
    const path = join(dataRoot, 'short.key');
    const text = Buffer.alloc(10, 9).toString('base64url');
    writeFileSync(path, text, { mode: 0o600 });
    const r = await lx(['verify-encrypted-storage'], { ...env, LX_ANNOTATE_MASTER_KEY_FILE: path });
    assert.equal(r.status, 2);
    assert.match(r.err, /LX_ANNOTATE_MASTER_KEY_FILE: got the key decodes to 10 bytes/);
    assert.ok(!r.err.includes(text));
  });
});

describe('verify, repair and cat', () => {
  test('verify-encrypted-storage proves encryption at rest and cleans up unless --keep', async () => {
    const { dataRoot, storageDir, env } = site();
    const keyed = { ...env, LX_ANNOTATE_MASTER_KEY_FILE: writeKey(dataRoot, 'master.key', MasterKey.generate()) };
    const r = cli(['verify-encrypted-storage'], keyed);
    assert.equal(r.status, 0, r.stderr);
    const line = r.stdout.toString();
    assert.match(line, new RegExp(`^Encrypted storage verified for _health/encryption/probe-[0-9a-f-]{36}\\.txt at ${storageDir}/_health/encryption/probe-[0-9a-f-]{36}\\.txt\\n$`));
    assert.deepEqual(readdirSync(join(storageDir, '_health/encryption')), []);
    const kept = await lx(['verify-encrypted-storage', '--path-prefix', 'probes', '--keep'], keyed);
    assert.equal(kept.status, 0, kept.err);
    assert.match(kept.out, /\(probe kept\)/);
    const [probe] = readdirSync(join(storageDir, 'probes'));
    assert.ok(probe !== undefined);
    assert.equal(readFileSync(join(storageDir, 'probes', probe)).subarray(0, 8).toString('latin1'), 'LXENC01\n');
    const escaped = await lx(['verify-encrypted-storage', '--path-prefix', '../outside'], keyed);
    assert.equal(escaped.status, 1);
    assert.match(escaped.err, /FAILED: .*escapes the storage root/);
  });

  test('repair-managed-payloads encrypts stray plaintext, storage cat decrypts it, corruption aborts', async () => {
    const { dataRoot, storageDir, env } = site();
    const keyed = { ...env, LX_ANNOTATE_MASTER_KEY_FILE: writeKey(dataRoot, 'master.key', MasterKey.generate()) };
    mkdirSync(join(storageDir, 'reports'), { recursive: true });
    mkdirSync(join(storageDir, 'streamable_videos/processed'), { recursive: true });
    const report = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    writeFileSync(join(storageDir, 'reports/befund.pdf'), report, { mode: 0o640 });
    writeFileSync(join(storageDir, 'streamable_videos/processed/v.mp4'), 'nginx serves this');

    const dry = await lx(['repair-managed-payloads', '--dry-run'], keyed);
    assert.equal(dry.status, 0, dry.err);
    assert.match(dry.out, /would encrypt reports\/befund\.pdf \(3000 bytes\)\ndry run: nothing was changed\nrepaired=1 already_encrypted=0 skipped=1 root=/);
    assert.ok(readFileSync(join(storageDir, 'reports/befund.pdf')).equals(report));

    const repaired = await lx(['repair-managed-payloads'], keyed);
    assert.equal(repaired.status, 0, repaired.err);
    assert.match(repaired.out, new RegExp(`repaired=1 already_encrypted=0 skipped=1 root=${storageDir}\\n$`));
    assert.equal(readFileSync(join(storageDir, 'reports/befund.pdf')).subarray(0, 8).toString('latin1'), 'LXENC01\n');
    assert.equal(readFileSync(join(storageDir, 'streamable_videos/processed/v.mp4'), 'utf8'), 'nginx serves this');

    const cat = cli(['storage', 'cat', 'reports/befund.pdf'], keyed);
    assert.equal(cat.status, 0, cat.stderr);
    assert.ok(cat.stdout.equals(report), 'binary plaintext on stdout');
    const traversal = cli(['storage', 'cat', '../master.key'], keyed);
    assert.equal(traversal.status, 1);
    assert.match(traversal.stderr, /escapes the storage root/);
    assert.equal(traversal.stdout.length, 0);
    assert.equal((await lx(['storage', 'frobnicate'], keyed)).status, 2);
    assert.equal((await lx(['storage', 'rotate-key', '--throttle-ms', 'soon'], keyed)).status, 2);

    const raw = readFileSync(join(storageDir, 'reports/befund.pdf'));
    writeFileSync(join(storageDir, 'reports/befund.pdf'), raw.subarray(0, raw.length - 7));
    const aborted = await lx(['repair-managed-payloads'], keyed);
    assert.equal(aborted.status, 1);
    assert.match(aborted.err, /aborted: LXENC01 file .*befund\.pdf.*\(truncated\)/);
  });
});

describe('storage rotate-key', () => {
  test('is resumable: killed with SIGKILL twice mid-way, every file stays readable and a re-run finishes under the active key', async (t) => {
    const { dataRoot, storageDir, env } = site();
    mkdirSync(storageDir, { recursive: true });
    const oldKey = MasterKey.generate();
    const newKey = MasterKey.generate();
    const oldPath = writeKey(dataRoot, 'old.key', oldKey);
    const newPath = writeKey(dataRoot, 'new.key', newKey);
    const ringPath = join(dataRoot, 'keyring.yaml');
    writeFileSync(ringPath, `schema_version: 1\nactive: ${newPath}\nretiring:\n  - ${oldPath}\n`, { mode: 0o600 });
    const rotating = { ...env, LX_ANNOTATE_MASTER_KEYRING_FILE: ringPath };

    // many small files plus a few multi-chunk ones, all under the old key
    const writer = new StorageService({ root: storageDir, keyring: new Keyring(oldKey), chunkSize: 64 * 1024 });
    const originals = new Map<string, Buffer>();
    for (let i = 0; i < 240; i += 1) {
      const size = i % 40 === 0 ? 2 * 1024 * 1024 + i : 200 + ((i * 131) % 5000);
      const data = Buffer.alloc(size, `case ${i} payload `);
      const path = `cases/${String(i % 12).padStart(2, '0')}/file-${String(i).padStart(3, '0')}.bin`;
      originals.set(path, data);
      await writer.write(path, Readable.from([data]));
    }

    const killAfter = async (rotatedLines: number): Promise<{ rotated: number; signal: NodeJS.Signals | null }> => {
      const child = spawn(CLI[0] as string, [...CLI.slice(1), 'storage', 'rotate-key', '--throttle-ms', '10'], { cwd: REPO_ROOT, env: childEnv(rotating), stdio: ['ignore', 'pipe', 'pipe'] });
      t.after(() => {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      });
      let seen = 0;
      let buffered = '';
      const exited = new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, signal) => done(signal)));
      child.stdout.on('data', (part: Buffer) => {
        buffered += part.toString();
        seen = (buffered.match(/^rotated /gm) ?? []).length;
        if (seen >= rotatedLines && child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      });
      return { signal: await exited, rotated: seen };
    };

    const underNewKey = async (): Promise<number> => {
      let count = 0;
      for (const path of originals.keys()) if ((await keyIdOfFile(join(storageDir, path), new Keyring(newKey, [oldKey]))) === newKey.id) count += 1;
      return count;
    };
    const everyFileIntact = async (keyring: Keyring): Promise<void> => {
      for (const [path, data] of originals) assert.ok((await plaintextOf(join(storageDir, path), keyring)).equals(data), `${path} decrypts to its original`);
    };

    const first = await killAfter(30);
    assert.equal(first.signal, 'SIGKILL', 'the first run was killed mid-way');
    const afterFirst = await underNewKey();
    assert.ok(afterFirst >= 30 && afterFirst < originals.size, `${afterFirst} rotated after the first kill`);
    await everyFileIntact(new Keyring(newKey, [oldKey]));

    const second = await killAfter(60);
    assert.equal(second.signal, 'SIGKILL');
    const afterSecond = await underNewKey();
    assert.ok(afterSecond >= afterFirst + 60 && afterSecond < originals.size, `${afterSecond} rotated after the second kill`);
    await everyFileIntact(new Keyring(newKey, [oldKey]));

    const final = await lx(['storage', 'rotate-key'], rotating);
    assert.equal(final.status, 0, final.err);
    const summary = /rotated=(\d+) already_active=(\d+) plaintext=0 changed=0 failed=0 stale_temp=(\d+) active_key=([0-9a-f]{16})/.exec(final.out);
    assert.ok(summary, final.out);
    assert.equal(Number(summary[1]), originals.size - afterSecond, 'only the files not yet rotated were rewritten');
    assert.equal(Number(summary[2]), afterSecond);
    assert.equal(summary[4], newKey.id);
    assert.match(final.out, /retiring keys may now be removed/);

    // the old key is no longer needed for anything
    await everyFileIntact(new Keyring(newKey));
    const names = readdirSync(storageDir, { recursive: true }).map(String);
    for (const path of originals.keys()) assert.ok(names.includes(path));
    const leftovers = names.filter((name) => name.endsWith('.tmp'));
    assert.equal(leftovers.length, Number(summary[3]), 'stale temp files are counted');
    for (const name of leftovers) {
      const bytes = readFileSync(join(storageDir, name));
      assert.ok(!bytes.includes(Buffer.from('payload')), `${name} holds no plaintext`);
    }
    assert.ok(existsSync(join(storageDir, 'cases')));
    const dry = await lx(['storage', 'rotate-key', '--dry-run'], rotating);
    assert.match(dry.out, new RegExp(`rotated=0 already_active=${originals.size} `));
  });
});
