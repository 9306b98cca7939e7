// `npm run release`: the versioned release artifact (our equivalent of the original's wheel).
// One tarball holding the compiled server (web, worker, watcher and CLI roles), the compiled
// contracts package, every runtime dependency copied from the lockfile-exact node_modules
// (native addons included), the deploy/ files and, when built, the web assets. A production
// host unpacks it and needs only Node.js and the Debian packages of deploy/bootstrap-host.sh.
//
//   node scripts/release.mjs [--out-dir DIR] [--web-dist DIR] [--no-verify] [--fast]
//
// --fast compresses with gzip -1 (larger, quicker; for test builds).
//
// Node built-ins and the system `tar` only.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureWebBuild } from './lib/web-build.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const say = (msg) => process.stdout.write(`[release] ${msg}\n`);
/** A reason the build cannot produce an artifact; reported once, after the staging dir is removed. */
class ReleaseError extends Error {}
const fail = (msg) => {
  throw new ReleaseError(msg);
};

const { values: opts } = parseArgs({
  options: {
    'out-dir': { type: 'string' },
    'web-dist': { type: 'string' },
    'no-verify': { type: 'boolean' },
    fast: { type: 'boolean' },
  },
});

/** Workspaces whose runtime dependencies go into the artifact. */
const RUNTIME_WORKSPACES = ['apps/server', 'packages/contracts'];

/**
 * Files of installed packages that are build leftovers, not runtime: better-sqlite3 ships its
 * SQLite amalgamation and object files (about 25 MB) next to the one compiled addon it loads.
 */
const KEEP_ONLY = {
  'better-sqlite3': ['package.json', 'LICENSE', 'lib', 'build/Release/better_sqlite3.node'],
};

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', ...options });
  if (r.error) fail(`${cmd} could not be started: ${r.error.message}`);
  return r;
}

function must(cmd, args, options = {}) {
  const r = run(cmd, args, options);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  return r.stdout ?? '';
}

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

function releaseVersion() {
  const base = readJson(join(ROOT, 'package.json')).version;
  const git = run('git', ['rev-parse', '--short=10', 'HEAD']);
  if (git.status !== 0) return { version: `${base}+nogit`, commit: undefined, epoch: Math.floor(Date.now() / 1000) };
  const commit = git.stdout.trim();
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no']).stdout.trim() !== '';
  const epoch = Number(run('git', ['log', '-1', '--format=%ct']).stdout.trim()) || Math.floor(Date.now() / 1000);
  return { version: `${base}+g${commit}${dirty ? '.dirty' : ''}`, commit, dirty, epoch };
}

/**
 * The production dependency closure of the runtime workspaces, resolved like Node does over the
 * lockfile's `packages` map (nested node_modules first, then each parent). Optional dependencies
 * that are not installed (other platforms) are left out; anything else missing, or installed in a
 * different version than locked, stops the build: the artifact must be exactly the lockfile.
 */
function dependencyClosure() {
  const lock = readJson(join(ROOT, 'package-lock.json'));
  const packages = lock.packages ?? {};
  const resolveFrom = (from, name) => {
    let base = from;
    for (;;) {
      const key = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (packages[key]) return key;
      if (!base) return undefined;
      const i = base.lastIndexOf('/node_modules/');
      base = i >= 0 ? base.slice(0, i) : '';
    }
  };
  const queue = [];
  for (const workspace of RUNTIME_WORKSPACES) {
    const manifest = readJson(join(ROOT, workspace, 'package.json'));
    for (const name of Object.keys(manifest.dependencies ?? {})) queue.push({ from: workspace, name, optional: false });
  }
  const closure = new Set();
  while (queue.length > 0) {
    const { from, name, optional } = queue.shift();
    const key = resolveFrom(from, name);
    if (!key) {
      if (!optional) fail(`${name} (needed by ${from}) is not in package-lock.json; run npm install and commit the lockfile`);
      continue;
    }
    const entry = packages[key];
    if (entry.link) continue; // a workspace: compiled separately
    const installed = join(ROOT, key, 'package.json');
    if (!existsSync(installed)) {
      if (optional || entry.optional) continue;
      fail(`${key} is locked but not installed; run npm ci`);
    }
    const installedVersion = readJson(installed).version;
    if (installedVersion !== entry.version) fail(`${key} is installed as ${installedVersion} but locked as ${entry.version}; run npm ci`);
    if (closure.has(key)) continue;
    closure.add(key);
    for (const dep of Object.keys(entry.dependencies ?? {})) queue.push({ from: key, name: dep, optional: false });
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) queue.push({ from: key, name: dep, optional: true });
    for (const dep of Object.keys(entry.peerDependencies ?? {})) {
      queue.push({ from: key, name: dep, optional: Boolean(entry.peerDependenciesMeta?.[dep]?.optional) });
    }
  }
  return [...closure].sort();
}

function copyPackage(key, stage) {
  const source = join(ROOT, key);
  const target = join(stage, key);
  const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const keep = KEEP_ONLY[name];
  cpSync(source, target, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (path) => {
      const rel = relative(source, path).split(sep).join('/');
      if (rel === '') return true;
      // Nested packages are closure entries of their own (or not needed at all).
      if (rel === 'node_modules' || rel.startsWith('node_modules/')) return false;
      // Source maps and type declarations are never loaded at run time (about a third of the bytes).
      if (/\.(map|d\.ts|d\.mts|d\.cts)$/.test(rel)) return false;
      if (!keep) return true;
      return keep.some((k) => k === rel || k.startsWith(`${rel}/`) || rel.startsWith(`${k}/`));
    },
  });
}

/** The contract: `.vite/manifest.json` with an entry `src/main.ts` whose file exists; else packaging fails. */
function checkWebDist(dir) {
  const manifestPath = join(dir, '.vite', 'manifest.json');
  if (!existsSync(manifestPath)) fail(`${dir} has no .vite/manifest.json; build the web app first`);
  let manifest;
  try {
    manifest = readJson(manifestPath);
  } catch {
    fail(`${manifestPath} is not valid JSON`);
  }
  const entry = manifest['src/main.ts'];
  if (!entry || typeof entry.file !== 'string') fail(`${manifestPath} has no entry "src/main.ts"`);
  if (!existsSync(join(dir, entry.file))) fail(`${manifestPath}: the file ${entry.file} of entry src/main.ts does not exist`);
}

function sha256File(path) {
  return new Promise((resolveHash, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolveHash(hash.digest('hex')));
  });
}

/**
 * Runs the staged release the way a host would: from a directory outside the repository, with a
 * minimal environment and, when possible, without any network (unshare -n needs root).
 */
function verifyStaged(stage, version) {
  const cli = join(stage, 'apps', 'server', 'bin', 'lx-annotate.js');
  const offline = process.getuid?.() === 0 && run('unshare', ['-n', 'true']).status === 0;
  const work = mkdtempSync(join(tmpdir(), 'lx-release-verify-'));
  try {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, DJANGO_ENV: 'development', LX_ANNOTATE_ENCRYPTED_DATA_DIR: join(work, 'data') };
    const exec = (args) => (offline ? run('unshare', ['-n', process.execPath, cli, ...args], { env, cwd: work }) : run(process.execPath, [cli, ...args], { env, cwd: work }));
    const v = exec(['--version']);
    if (v.status !== 0 || v.stdout.trim() !== version) fail(`the staged CLI printed "${v.stdout.trim()}" (exit ${v.status}), expected ${version}\n${v.stderr}`);
    const m = exec(['migrate']);
    if (m.status !== 0) fail(`migrate on SQLite failed in the staged release:\n${m.stdout}${m.stderr}`);
    const c = exec(['check', '--json']);
    let report;
    try {
      report = JSON.parse(c.stdout);
    } catch {
      fail(`check --json did not print JSON (exit ${c.status}):\n${c.stdout}${c.stderr}`);
    }
    const schema = report.checks.find((x) => x.name === 'schema');
    if (!schema?.ok) fail(`the staged release reports its schema as not current: ${JSON.stringify(schema)}`);
    say(`verified ${offline ? 'without network ' : ''}from ${stage}: --version, migrate and check on SQLite (check: ${report.status})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const started = Date.now();
const { version, commit, dirty, epoch } = releaseVersion();
if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/.test(version)) fail(`unusable version "${version}"`);
const outDir = resolve(opts['out-dir'] ?? join(ROOT, 'dist', 'release'));
// The web app is built (when stale) so that the artifact always carries current assets.
function builtWebApp() {
  if (!existsSync(join(ROOT, 'apps', 'web', 'package.json'))) return undefined;
  try {
    return ensureWebBuild({ say });
  } catch (error) {
    process.stderr.write(`[release] ${error.message}\n`);
    process.exit(1);
  }
}
const webDist = opts['web-dist'] ? resolve(opts['web-dist']) : builtWebApp();
const name = `lx-annotate-${version}`;
const workDir = mkdtempSync(join(tmpdir(), 'lx-release-'));
const stage = join(workDir, name);
say(`building ${name}`);

try {
  const closure = dependencyClosure();
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  must(process.execPath, [tsc, '-p', 'packages/contracts/tsconfig.build.json', '--outDir', join(stage, 'node_modules', '@lx', 'contracts', 'dist'), '--declaration', 'false']);
  must(process.execPath, [tsc, '-p', 'apps/server/tsconfig.build.json', '--outDir', join(stage, 'apps', 'server', 'dist')]);

  const rootManifest = readJson(join(ROOT, 'package.json'));
  const serverManifest = readJson(join(ROOT, 'apps', 'server', 'package.json'));
  const contractsManifest = readJson(join(ROOT, 'packages', 'contracts', 'package.json'));
  const writeJson = (path, value) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  };
  // main/version.ts reads the root package.json: the release version (with commit) is what --version prints.
  writeJson(join(stage, 'package.json'), {
    name: rootManifest.name,
    version,
    private: true,
    description: rootManifest.description,
    type: 'module',
    license: rootManifest.license,
    engines: rootManifest.engines,
  });
  writeJson(join(stage, 'apps', 'server', 'package.json'), {
    name: serverManifest.name,
    version: serverManifest.version,
    private: true,
    type: 'module',
    bin: serverManifest.bin,
    dependencies: serverManifest.dependencies,
  });
  // The compiled build only: no development condition pointing at TypeScript sources.
  writeJson(join(stage, 'node_modules', '@lx', 'contracts', 'package.json'), {
    name: contractsManifest.name,
    version: contractsManifest.version,
    private: true,
    type: 'module',
    main: './dist/index.js',
    exports: { '.': './dist/index.js' },
    dependencies: contractsManifest.dependencies,
  });
  cpSync(join(ROOT, 'apps', 'server', 'bin'), join(stage, 'apps', 'server', 'bin'), { recursive: true });

  for (const key of closure) copyPackage(key, stage);
  say(`${closure.length} runtime packages from package-lock.json`);

  cpSync(join(ROOT, 'deploy'), join(stage, 'deploy'), {
    recursive: true,
    filter: (path) => relative(join(ROOT, 'deploy'), path).split(sep)[0] !== 'test',
  });
  if (existsSync(join(ROOT, 'docs', 'operator-guide.md'))) cpSync(join(ROOT, 'docs', 'operator-guide.md'), join(stage, 'docs', 'operator-guide.md'));

  if (webDist) {
    checkWebDist(webDist);
    cpSync(webDist, join(stage, 'staticfiles'), { recursive: true });
    say(`web assets from ${webDist}`);
  } else {
    say('no web assets (apps/web/dist does not exist): the release carries no staticfiles/');
  }

  writeJson(join(stage, 'RELEASE.json'), {
    name: 'lx-annotate',
    version,
    commit: commit ?? null,
    dirty: Boolean(dirty),
    built_at: new Date().toISOString(),
    node: { built_with: process.version, abi: process.versions.modules, platform: process.platform, arch: process.arch, engines: rootManifest.engines?.node ?? null },
    web_assets: Boolean(webDist),
    runtime_packages: closure.length,
  });

  if (!opts['no-verify']) verifyStaged(stage, version);

  mkdirSync(outDir, { recursive: true });
  const artifact = join(outDir, `${name}.tar.gz`);
  const partial = `${artifact}.partial`;
  rmSync(partial, { force: true });
  const compress = opts.fast ? ['--use-compress-program=gzip -1'] : ['--gzip'];
  must('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${epoch}`, ...compress, '-cf', partial, '-C', workDir, name]);
  renameSync(partial, artifact);
  const digest = await sha256File(artifact);
  writeFileSync(`${artifact}.sha256`, `${digest}  ${basename(artifact)}\n`);
  const sizeMiB = (statSync(artifact).size / 1024 / 1024).toFixed(1);
  say(`wrote ${artifact} (${sizeMiB} MiB, sha256 ${digest}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`${artifact}\n`);
} catch (error) {
  if (!(error instanceof ReleaseError)) throw error;
  process.stderr.write(`[release] error: ${error.message}\n`);
  process.exitCode = 1;
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
