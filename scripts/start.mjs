// `npm start`: the whole system on the embedded default (SQLite, a local data dir,
// base and demo data), for development and evaluation. Not a production launcher:
// production uses the release artifact, systemd units and .env.systemd (docs/).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureDebianPackages, ensureNodeModules, ROOT } from './lib/system.mjs';
import { ensureWebBuild, syncStatic } from './lib/web-build.mjs';

const say = (msg) => process.stdout.write(`[lx-annotate] ${msg}\n`);

ensureNodeModules();
ensureDebianPackages(['ffmpeg', 'tesseract-ocr', 'tesseract-ocr-deu', 'tesseract-ocr-eng', 'poppler-utils', 'qpdf', 'fonts-dejavu-core']);

const state = resolve(process.env.LX_ANNOTATE_DEV_STATE ?? resolve(ROOT, '.data'));
mkdirSync(state, { recursive: true, mode: 0o700 });

/** A development secret in a 0600 file of the local state dir, created once. */
function devSecret(name, make) {
  const path = resolve(state, name);
  if (!existsSync(path)) {
    writeFileSync(path, `${make()}\n`, { mode: 0o600 });
    say(`created ${path} (development only; production keys are provisioned by the operator, never generated)`);
  }
  chmodSync(path, 0o600);
  return path;
}

const env = {
  ...process.env,
  DJANGO_ENV: process.env.DJANGO_ENV ?? 'development',
  LX_ANNOTATE_ENCRYPTED_DATA_DIR: process.env.LX_ANNOTATE_ENCRYPTED_DATA_DIR ?? resolve(state, 'data'),
  LX_ANNOTATE_MASTER_KEY_FILE: process.env.LX_ANNOTATE_MASTER_KEY_FILE ?? devSecret('dev-master.key', () => randomBytes(32).toString('base64url') + '='),
  DJANGO_SECRET_KEY_FILE: process.env.DJANGO_SECRET_KEY_FILE ?? devSecret('dev-secret.key', () => randomBytes(48).toString('base64url')),
  // Sign-in is on here too (local accounts); ENFORCE_AUTH=0 opts out for development only.
  ENFORCE_AUTH: process.env.ENFORCE_AUTH ?? '1',
  // The web app is built into apps/web/dist and copied here; the api role serves it under /static/.
  DJANGO_STATIC_ROOT: process.env.DJANGO_STATIC_ROOT ?? resolve(state, 'staticfiles'),
};
const node = [process.execPath, '--conditions=development', '--import', 'tsx', resolve(ROOT, 'apps/server/src/main/cli.ts')];
const cli = (args) => {
  const r = spawnSync(node[0], [...node.slice(1), ...args], { cwd: ROOT, env: { ...env, LX_ANNOTATE_CLI_MAIN: '1' }, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

say(`data root: ${env.LX_ANNOTATE_ENCRYPTED_DATA_DIR}`);
say(`web app: ${syncStatic(ensureWebBuild({ say }), env.DJANGO_STATIC_ROOT)}`);
cli(['migrate']);
cli(['load-base-data']);
// First run: a local administrator with a one-time password in a 0600 file (only when no account exists).
const adminPasswordFile = resolve(env.LX_ANNOTATE_ENCRYPTED_DATA_DIR, 'initial-admin-password.txt');
cli(['users', 'ensure-admin', '--password-file', adminPasswordFile]);
if (existsSync(adminPasswordFile)) say(`first sign-in: user "admin", one-time password in ${adminPasswordFile} (it must be changed at the first sign-in)`);

// First run: the short demo video (fictitious patient overlay) goes into the video drop directory;
// the watcher ingests it and the worker anonymizes it (about a minute), so the overview has a file.
const demoMarker = resolve(state, 'demo-video-dropped');
if (!existsSync(demoMarker)) {
  const demoDir = resolve(state, 'demo');
  cli(['demo', 'make', demoDir, '--only', 'short']);
  const dropDir = resolve(env.LX_ANNOTATE_ENCRYPTED_DATA_DIR, 'import', 'video_import');
  mkdirSync(dropDir, { recursive: true });
  // Written under a hidden name and renamed, so the watcher never sees a half-copied file.
  copyFileSync(resolve(demoDir, 'demo-short-1080p.mp4'), resolve(dropDir, '.demo-short-1080p.mp4.partial'));
  renameSync(resolve(dropDir, '.demo-short-1080p.mp4.partial'), resolve(dropDir, 'demo-short-1080p.mp4'));
  // The demo report of the same fictitious patient goes into the report drop directory the same way.
  const reportDropDir = resolve(env.LX_ANNOTATE_ENCRYPTED_DATA_DIR, 'import', 'report_import');
  mkdirSync(reportDropDir, { recursive: true });
  copyFileSync(resolve(demoDir, 'demo-report.pdf'), resolve(reportDropDir, '.demo-report.pdf.partial'));
  renameSync(resolve(reportDropDir, '.demo-report.pdf.partial'), resolve(reportDropDir, 'demo-report.pdf'));
  writeFileSync(demoMarker, `${new Date().toISOString()}\n`);
  say(`demo video and report dropped into ${dropDir} and ${reportDropDir} (fictitious identities: ${resolve(demoDir, 'demo.json')})`);
}

// The watcher is its own process, as in production (a bad media file must not take the web down).
const roles = [['web', ['serve']], ['worker', ['worker']], ['watcher', ['watch']]];
const children = roles.map(([name, args]) => {
  const child = spawn(node[0], [...node.slice(1), ...args], { cwd: ROOT, env: { ...env, LX_ANNOTATE_CLI_MAIN: '1' }, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    say(`${name} exited (${signal ?? code})`);
    shutdown(code ?? 1);
  });
  return child;
});
say(`web: http://${env.DJANGO_HOST ?? '127.0.0.1'}:${env.DJANGO_PORT ?? '8000'}/readyz   (Ctrl-C stops everything)`);

let stopping = false;
function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(() => process.exit(code));
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
