// `npm test`: prepare the host, then typecheck, lint (with module boundaries) and
// every test on SQLite and PostgreSQL. Ends with the line `N passed, N failed`.
// `npm test -- <file…>` runs only the given test files (no typecheck/lint).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackages, ensureNodeModules, ensurePostgres, ROOT } from './lib/system.mjs';
import { findTests } from './lib/tests.mjs';

/** Debian packages the tests use with real binaries (media, OCR, nginx, crypto cross-check). */
export const TEST_PACKAGES = [
  'ffmpeg',
  'tesseract-ocr',
  'tesseract-ocr-deu',
  'tesseract-ocr-eng',
  'poppler-utils',
  'qpdf',
  'nginx',
  'openssl',
  'python3-cryptography',
  'curl',
  'shellcheck',
  'postgresql-client',
  'fonts-dejavu-core',
];

const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
ensureNodeModules();
ensureDebianPackages(TEST_PACKAGES);
const pgUrl = ensurePostgres();

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function step(name, cmd, cmdArgs) {
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit' });
  if (r.status === 0) passed += 1;
  else {
    failed += 1;
    failures.push(name);
  }
}

if (only.length === 0) {
  step('typecheck', 'npm', ['run', '--silent', 'typecheck']);
  step('lint', 'npm', ['run', '--silent', 'lint']);
}

const files = only.length > 0 ? only : findTests(['apps/server/src', 'apps/server/test', 'packages', 'scripts', 'deploy']);
const work = mkdtempSync(join(tmpdir(), 'lx-test-'));
const countFile = join(work, 'counts.json');
process.stdout.write(`\n== ${files.length} test files\n`);
const r = spawnSync(
  process.execPath,
  [
    '--conditions=development',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=600000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(ROOT, 'scripts/lib/count-reporter.mjs')}`,
    `--test-reporter-destination=${countFile}`,
    ...files,
  ],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, LX_TEST_PG_URL: pgUrl, DJANGO_ENV: 'test', NODE_ENV: 'test' } },
);
try {
  const counts = JSON.parse(readFileSync(countFile, 'utf8'));
  passed += counts.passed;
  failed += counts.failed;
  skipped += counts.skipped;
  failures.push(...counts.failures);
} catch {
  failed += 1;
  failures.push(`test runner exited ${r.status} without a report`);
}
if (r.status !== 0 && failed === 0) {
  failed += 1;
  failures.push(`test runner exited ${r.status}`);
}
rmSync(work, { recursive: true, force: true });
if (failures.length > 0) process.stdout.write(`\nFailed:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed === 0 ? 0 : 1);
