import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CentersService } from '../../src/features/centers/index.js';
import { verifyPassword } from '../../src/features/auth/password.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { runCli } from '../../src/main/cli.js';
import { childEnv, REPO_ROOT, type CliResult } from '../helpers/processes.js';

/** `lx-annotate <args>` in this process (fast), with the given environment. */
async function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, { out: (text) => (stdout += text), err: (text) => (stderr += text), loadConfig: () => configFrom(env) });
  return { status, stdout, stderr };
}

/** `lx-annotate <args>` as a child process with text on stdin (for --password-stdin). */
function cliProcess(args: string[], env: Record<string, string>, input?: string): CliResult {
  const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', join(REPO_ROOT, 'apps/server/src/main/cli.ts'), ...args], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    encoding: 'utf8',
    input: input ?? '',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const STRONG = 'Sommer-Endoskopie-7';

for (const engine of ENGINES) {
  describe(`lx-annotate users and audit on ${engine}`, () => {
    let t: TestDatabase;
    let env: Record<string, string>;
    let dataRoot: string;
    before(async () => {
      t = await createTestDatabase(engine);
      dataRoot = tempDataRoot();
      env = { DJANGO_ENV: 'development', DATA_DIR: dataRoot, ...t.env };
      await new CentersService(t.db).ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' });
    });
    after(() => t.dispose());

    test('ensure-admin on an empty database creates admin with a 0600 one-time password file; a second run does nothing', async () => {
      const file = join(dataRoot, 'initial-admin-password.txt');
      const first = await cli(['users', 'ensure-admin', '--password-file', file], env);
      assert.equal(first.status, 0, first.stderr);
      assert.equal(first.stdout, `created the local administrator "admin"; its one-time password is in ${file} (mode 0600) and must be changed at the first sign-in\n`);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const password = readFileSync(file, 'utf8').trim();
      const admin = await t.db.selectFrom('users').select(['password_hash', 'is_superuser']).where('username', '=', 'admin').executeTakeFirstOrThrow();
      assert.equal(await verifyPassword(password, admin.password_hash), true);
      const second = await cli(['users', 'ensure-admin', '--password-file', file], env);
      assert.equal(second.status, 0);
      assert.match(second.stdout, /accounts exist already/);
    });

    test('add prints a generated password once; duplicates and unknown centers are refused', async () => {
      const generated = await cli(['users', 'add', 'anna', '--email', 'anna@klinik-a.example', '--roles', 'video:read,patient:read', '--centers', 'klinik-a'], env);
      assert.equal(generated.status, 0, generated.stderr);
      const password = /must be changed at the first sign-in\):\n([A-Za-z0-9]{20})\n/.exec(generated.stdout)?.[1];
      assert.ok(password, generated.stdout);
      const anna = await t.db.selectFrom('users').select(['password_hash', 'must_change_password']).where('username', '=', 'anna').executeTakeFirstOrThrow();
      assert.equal(await verifyPassword(password, anna.password_hash), true);
      assert.equal(Boolean(Number(anna.must_change_password)), true);
      const duplicate = await cli(['users', 'add', 'anna'], env);
      assert.equal(duplicate.status, 1);
      assert.match(duplicate.stderr, /already exists/);
      const unknownCenter = await cli(['users', 'add', 'dora', '--centers', 'nowhere'], env);
      assert.equal(unknownCenter.status, 1);
      assert.match(unknownCenter.stderr, /unknown center_key nowhere/);
    });

    test('roles --set replaces the groups; passwd resets; list shows everything; usage errors exit 2', async () => {
      const roles = await cli(['users', 'roles', 'anna', '--set', 'video:write'], env);
      assert.equal(roles.status, 0, roles.stderr);
      assert.match(roles.stdout, /roles of "anna": patient:read,video:read -> video:write/);
      const centers = await cli(['users', 'centers', 'anna', '--set', ''], env);
      assert.match(centers.stdout, /centers of "anna": klinik-a -> \(none\)/);
      await cli(['users', 'centers', 'anna', '--set', 'klinik-a'], env);
      const passwd = await cli(['users', 'passwd', 'anna'], env);
      assert.equal(passwd.status, 0, passwd.stderr);
      assert.match(passwd.stdout, /one-time password for "anna"/);
      const listed = await cli(['users', 'list'], env);
      assert.equal(listed.status, 0);
      assert.match(listed.stdout, /^admin\tlocal,superuser,must-change-password\t/m);
      assert.match(listed.stdout, /^anna\tlocal,must-change-password\troles=video:write\tcenters=klinik-a\t/m);
      assert.equal((await cli(['users', 'roles', 'anna'], env)).status, 2, '--set is required');
      assert.equal((await cli(['users', 'frobnicate'], env)).status, 2);
      assert.equal((await cli(['users', 'passwd'], env)).status, 2);
      assert.equal((await cli(['users', 'passwd', 'nobody'], env)).status, 1);
    });

    test('audit verify: intact after the changes above; a tampered entry fails with its sequence', async () => {
      const ok = await cli(['audit', 'verify'], env);
      assert.equal(ok.status, 0, ok.stderr);
      const entries = Number(/audit ledger intact: (\d+) entries/.exec(ok.stdout)?.[1]);
      assert.ok(entries >= 5, ok.stdout);
      const actions = (await t.db.selectFrom('audit_ledger').select('action').execute()).map((r) => r.action);
      for (const a of ['auth.user_created', 'auth.roles_changed', 'auth.center_scope_changed', 'auth.password_set']) assert.ok(actions.includes(a), a);
      await t.db.updateTable('audit_ledger').set({ actor: 'someone-else' }).where('sequence', '=', 2).execute();
      const broken = await cli(['audit', 'verify'], env);
      assert.equal(broken.status, 1);
      assert.match(broken.stdout, /audit ledger BROKEN at sequence 2/);
      assert.equal((await cli(['audit'], env)).status, 2);
    });
  });
}

describe('lx-annotate users as a process (stdin)', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  before(async () => {
    t = await createTestDatabase('sqlite');
    env = { DJANGO_ENV: 'development', DATA_DIR: tempDataRoot(), ...t.env };
  });
  after(() => t.dispose());

  test('--password-stdin takes the piped line (without its newline); a weak one is refused in German', async () => {
    const piped = cliProcess(['users', 'add', 'bernd', '--roles', 'anonymization:write', '--password-stdin'], env, `${STRONG}\n`);
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(piped.stdout.includes('one-time password'), false);
    const bernd = await t.db.selectFrom('users').select(['password_hash', 'must_change_password']).where('username', '=', 'bernd').executeTakeFirstOrThrow();
    assert.equal(await verifyPassword(STRONG, bernd.password_hash), true);
    assert.equal(Boolean(Number(bernd.must_change_password)), false);
    const weak = cliProcess(['users', 'passwd', 'bernd', '--password-stdin'], env, 'kurz\n');
    assert.equal(weak.status, 1);
    assert.match(weak.stderr, /mindestens 12 Zeichen/);
  });
});
