// Host preparation shared by `npm start`, `npm test` and CI: node_modules, Debian
// packages and a reachable PostgreSQL. Uses only Node built-ins, so it runs on a
// fresh clone before `npm ci`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);

const log = (msg) => process.stderr.write(`[setup] ${msg}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: opts.quiet ? 'pipe' : 'inherit', encoding: 'utf8', ...opts });
  return r.status === 0 ? (r.stdout ?? '') : null;
}

/** `npm ci` when node_modules is missing or older than the lockfile. */
export function ensureNodeModules() {
  const marker = resolve(ROOT, 'node_modules', '.package-lock.json');
  const lock = resolve(ROOT, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  log('installing npm dependencies (npm ci; better-sqlite3 compiles from source, about 2 minutes)');
  if (run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT }) === null) throw new Error('npm ci failed');
}

const dpkgInstalled = (pkg) => spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout?.includes('install ok installed');

/** Installs the Debian packages that are missing (root only; otherwise says what to install). */
export function ensureDebianPackages(packages) {
  const missing = packages.filter((p) => !dpkgInstalled(p));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages: ${missing.join(' ')} (run: sudo apt-get install -y ${missing.join(' ')})`);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lists = existsSync('/var/lib/apt/lists') ? readdirSync('/var/lib/apt/lists').filter((f) => f.endsWith('Packages')).length : 0;
  if (lists === 0 || run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, quiet: true }) === null) {
    if (run('apt-get', ['update', '-qq'], { env }) === null) throw new Error('apt-get update failed');
    if (run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env }) === null) throw new Error(`apt-get install ${missing.join(' ')} failed`);
  }
}

function pgReady(url) {
  return spawnSync('psql', [url, '-Atqc', 'select 1'], { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '3' } }).stdout?.trim() === '1';
}

/**
 * A PostgreSQL superuser URL for the tests: `LX_TEST_PG_URL` if set, else the
 * local server on 127.0.0.1:5432 (started, or installed from Debian, when needed).
 */
export function ensurePostgres() {
  if (process.env.LX_TEST_PG_URL) return process.env.LX_TEST_PG_URL;
  const trust = 'postgres://postgres@127.0.0.1:5432/postgres';
  const own = 'postgres://lx_test:lx_test@127.0.0.1:5432/postgres';
  if (existsSync('/usr/bin/psql') && (pgReady(trust) || pgReady(own))) return pgReady(trust) ? trust : own;
  ensureDebianPackages(['postgresql', 'postgresql-client']);
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
  for (const version of versions) {
    log(`starting PostgreSQL ${version}`);
    run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { quiet: true });
  }
  for (let i = 0; i < 30 && !pgReady(trust) && !pgReady(own); i += 1) execFileSync('sleep', ['1']);
  if (pgReady(trust)) return trust;
  if (!pgReady(own)) {
    // A stock Debian cluster uses peer auth locally and passwords over TCP: add a test role.
    log('creating PostgreSQL role lx_test for the tests');
    run('su', ['postgres', '-c', `psql -qc "DO \\$\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='lx_test') THEN CREATE ROLE lx_test LOGIN SUPERUSER PASSWORD 'lx_test'; END IF; END\\$\\$;"`]);
  }
  if (!pgReady(own)) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432; set LX_TEST_PG_URL to a superuser URL');
  return own;
}
