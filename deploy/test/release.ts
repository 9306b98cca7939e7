import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { DEPLOY_DIR } from './nginx.js';

export const REPO_ROOT = resolve(DEPLOY_DIR, '..');
/** Stands in for apps/web/dist until the web app exists: a Vite manifest with the src/main.ts entry. */
export const WEB_DIST_FIXTURE = join(DEPLOY_DIR, 'test', 'fixtures', 'web-dist');

export interface Artifact {
  readonly path: string;
  readonly version: string;
}

let built: Artifact | undefined;
const repacked = new Map<string, Artifact>();
const scratch: string[] = [];

/** Removes every artifact this process built or repacked (call from the test file's last `after`). */
export function removeArtifacts(): void {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  built = undefined;
  repacked.clear();
}

/**
 * `npm run release` (scripts/release.mjs) once per test process, into a temp dir, with the fixture
 * web assets. The tests verify the artifact themselves, so the script's own self-check is skipped.
 */
export function buildReleaseOnce(): Artifact {
  if (built) return built;
  const out = mkdtempSync(join(tmpdir(), 'lx-artifact-'));
  scratch.push(out);
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'release.mjs'), '--out-dir', out, '--web-dist', WEB_DIST_FIXTURE, '--no-verify', '--fast'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`npm run release failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const path = r.stdout.trim().split('\n').pop() ?? '';
  const version = basename(path).replace(/^lx-annotate-/, '').replace(/\.tar\.gz$/, '');
  built = { path, version };
  return built;
}

/** Unpacks an artifact into a fresh temp dir; returns the release directory inside it. */
export function unpack(artifact: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lx-unpacked-'));
  execFileSync('tar', ['-xzf', artifact, '-C', dir]);
  const [top] = readdirSync(dir);
  if (top === undefined) throw new Error(`${artifact} is empty`);
  return join(dir, top);
}

/**
 * A second artifact made from the first: renamed to `version`, its package.json and RELEASE.json
 * carrying that version, `patch` applied to the unpacked tree (e.g. a compiled migration that
 * fails), repacked with a fresh .sha256. The production code has no hook for this. One repack per
 * version and test process.
 */
export function repack(source: Artifact, version: string, patch: (releaseDir: string) => void = () => undefined): Artifact {
  const known = repacked.get(version);
  if (known) return known;
  const releaseDir = unpack(source.path);
  const parent = dirname(releaseDir);
  const renamed = join(parent, `lx-annotate-${version}`);
  renameSync(releaseDir, renamed);
  for (const file of ['package.json', 'RELEASE.json']) {
    const path = join(renamed, file);
    const json = JSON.parse(readFileSync(path, 'utf8')) as { version: string };
    json.version = version;
    writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
  }
  patch(renamed);
  const outDir = mkdtempSync(join(tmpdir(), 'lx-artifact-'));
  scratch.push(outDir);
  const out = join(outDir, `lx-annotate-${version}.tar.gz`);
  execFileSync('bash', ['-c', 'tar -C "$1" -cf - "$2" | gzip -1 > "$3"', 'repack', parent, basename(renamed), out]);
  const digest = createHash('sha256').update(readFileSync(out)).digest('hex');
  writeFileSync(`${out}.sha256`, `${digest}  ${basename(out)}\n`);
  rmSync(parent, { recursive: true, force: true });
  const artifact = { path: out, version };
  repacked.set(version, artifact);
  return artifact;
}

/** Patches a release's compiled migrator so that one more migration, which throws, is pending. */
export function injectFailingMigration(releaseDir: string): void {
  const migrator = join(releaseDir, 'apps', 'server', 'dist', 'db', 'migrator.js');
  const text = readFileSync(migrator, 'utf8');
  const anchor = "'0001-core': m0001,";
  if (!text.includes(anchor)) throw new Error(`${migrator} no longer lists '0001-core' as expected`);
  writeFileSync(
    migrator,
    text.replace(anchor, `${anchor}\n    '9999-test-failure': { async up() { throw new Error('injected failure: relation "lx_test_missing" does not exist'); } },`),
  );
}
