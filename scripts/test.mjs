// `npm test`: prepare the host, then typecheck, lint (with module boundaries) and
// every test on SQLite and PostgreSQL. Ends with the line `N passed, N failed`.
// `npm test -- <file…>` runs only the given test files (no typecheck/lint).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  // e2e/ drives Debian's Chromium with playwright-core (never a downloaded browser).
  'chromium',
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

// Web app component/store tests run in vitest (apps/web); everything else in node:test.
const isWebTest = (f) => f.replace(/\\/g, '/').replace(/^\.\//, '').startsWith('apps/web/');
const webFiles = only.length > 0 ? only.filter(isWebTest) : findTests(['apps/web/src']);
const files = only.length > 0 ? only.filter((f) => !isWebTest(f)) : findTests(['apps/server/src', 'apps/server/test', 'packages', 'scripts', 'deploy', 'e2e']);
if (webFiles.length > 0) {
  process.stdout.write(`\n== ${webFiles.length} web test files (vitest)\n`);
  const out = join(mkdtempSync(join(tmpdir(), 'lx-vitest-')), 'report.json');
  const web = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', 'apps/web', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...webFiles.map((f) => f.replace(/^(\.\/)?apps\/web\//, ''))],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
  );
  try {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    for (const suite of report.testResults) for (const a of suite.assertionResults) if (a.status === 'failed') failures.push(`${a.fullName} (${suite.name.replace(ROOT + '/', '')})`);
    if (web.status !== 0 && report.numFailedTests === 0) {
      failed += 1;
      failures.push(`vitest exited ${web.status}`);
    }
  } catch {
    failed += 1;
    failures.push(`vitest exited ${web.status} without a report`);
  }
  rmSync(dirname(out), { recursive: true, force: true });
}

const work = mkdtempSync(join(tmpdir(), 'lx-test-'));
const countFile = join(work, 'counts.json');
// Only web files asked for: no node:test run (with no files it would glob the cwd).
if (files.length > 0) {
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
}
rmSync(work, { recursive: true, force: true });
if (failures.length > 0) process.stdout.write(`\nFailed:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed === 0 ? 0 : 1);
