import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ReadinessCheck } from '@lx/contracts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/helpers/engines.js';
import { configFrom, productionEnv, tempDataRoot } from '../../../test/helpers/env.js';
import { LazyStorage } from '../../adapters/storage/index.js';
import { masterKeyCheck, roleContractChecks } from './deployment-checks.js';
import { ffprobeFor, hostToolChecks } from './host-tools.js';
import { permissionCheck } from './permission-contract.js';
import { ReadinessService } from './readiness.service.js';
import { ensureRuntimeDirectories } from './runtime-dirs.js';

const byName = (checks: readonly ReadinessCheck[], name: string): ReadinessCheck => {
  const found = checks.find((c) => c.name === name);
  assert.ok(found, `no check named ${name} in ${checks.map((c) => c.name).join(', ')}`);
  return found;
};

function keyFile(dir: string, bytes = 32): string {
  const path = join(dir, `master-${bytes}.key`);
  writeFileSync(path, `${randomBytes(bytes).toString('base64url')}\n`, { mode: 0o600 });
  return path;
}

/** A data root laid out as deploy.sh and the web process leave it, plus built web assets. */
async function preparedRoot(extraEnv: Record<string, string>) {
  const root = tempDataRoot();
  chmodSync(root, 0o750);
  const staticRoot = join(root, 'staticfiles');
  mkdirSync(join(staticRoot, '.vite', 'assets'), { recursive: true });
  chmodSync(staticRoot, 0o775);
  writeFileSync(join(staticRoot, '.vite', 'manifest.json'), JSON.stringify({ 'src/main.ts': { file: 'main.js' } }));
  writeFileSync(join(staticRoot, 'main.js'), '');
  const { settings } = configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, DJANGO_STATIC_ROOT: staticRoot, LX_ANNOTATE_MASTER_KEY_FILE: keyFile(mkdtempSync(join(tmpdir(), 'lx-key-'))), ...extraEnv });
  await ensureRuntimeDirectories(settings);
  return { root, settings };
}

for (const engine of ENGINES) {
  describe(`readiness (${engine})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(engine);
    });
    after(() => t.dispose());

    test('deployment scope on a prepared host is ready: schema tables, every directory with its contract mode, real host tools, master key', async () => {
      const { settings } = await preparedRoot(t.env);
      const result = await new ReadinessService(t.db, settings).check('deployment');
      const failing = result.checks.filter((c) => !c.ok);
      assert.equal(result.status, 'ready', JSON.stringify(failing));
      assert.deepEqual(failing, []);
      assert.equal(byName(result.checks, 'schema_tables').ok, true);
      assert.match(byName(result.checks, 'permissions:video_import').detail, / 0770/);
      assert.match(byName(result.checks, 'permissions:storage').detail, / 0750/);
      assert.match(byName(result.checks, 'permissions:static_root').detail, / 0775/);
      assert.match(byName(result.checks, 'ffmpeg').detail, /ffmpeg version/);
      assert.match(byName(result.checks, 'tessdata').detail, /deu, eng/);
      assert.match(byName(result.checks, 'master_key').detail, /^active key [0-9a-f]{16}$/);
      assert.equal(byName(result.checks, 'static_assets').ok, true);
    });

    test('the /readyz scope stays cheap: database, schema and directories only', async () => {
      const { settings } = await preparedRoot(t.env);
      const result = await new ReadinessService(t.db, settings).check('runtime');
      assert.equal(result.status, 'ready');
      assert.equal(result.checks.some((c) => c.name.startsWith('permissions:') || c.name === 'ffmpeg' || c.name === 'master_key'), false);
      assert.ok(result.checks.some((c) => c.name === 'dir:sap_import'));
    });

    test('a missing import subtree is critical', async () => {
      const { root, settings } = await preparedRoot(t.env);
      rmSync(join(root, 'import', 'report_import'), { recursive: true });
      const result = await new ReadinessService(t.db, settings).check('runtime');
      assert.equal(result.status, 'not_ready');
      assert.match(byName(result.checks, 'dir:report_import').detail, /^report_import_missing: /);
    });
  });
}

describe('permission contract', () => {
  const dir = (mode: number): string => {
    const path = mkdtempSync(join(tmpdir(), 'lx-mode-'));
    chmodSync(path, mode);
    return path;
  };
  const uid = process.geteuid?.();

  test('protected roots: 0750 passes, stricter or group-writable warns, any bit for others is critical', async () => {
    assert.equal((await permissionCheck({ name: 'storage', path: dir(0o750), kind: 'protected' }, uid)).ok, true);
    const strict = await permissionCheck({ name: 'storage', path: dir(0o700), kind: 'protected' }, uid);
    assert.deepEqual([strict.ok, strict.severity], [false, 'warning']);
    assert.match(strict.detail, /mode 0700, contract 0750/);
    const group = await permissionCheck({ name: 'storage', path: dir(0o770), kind: 'protected' }, uid);
    assert.deepEqual([group.ok, group.severity], [false, 'warning']);
    const world = await permissionCheck({ name: 'storage', path: dir(0o755), kind: 'protected' }, uid);
    assert.deepEqual([world.ok, world.severity], [false, 'critical']);
    assert.match(world.detail, /every local user/);
  });

  test('import drop directories: 0770 passes, world access is critical', async () => {
    assert.equal((await permissionCheck({ name: 'video_import', path: dir(0o770), kind: 'import' }, uid)).ok, true);
    assert.equal((await permissionCheck({ name: 'video_import', path: dir(0o777), kind: 'import' }, uid)).severity, 'critical');
    assert.equal((await permissionCheck({ name: 'video_import', path: dir(0o750), kind: 'import' }, uid)).severity, 'warning');
  });

  test('static root: 0775 passes, 0755 warns, world-writable is critical; missing only warns', async () => {
    assert.equal((await permissionCheck({ name: 'static_root', path: dir(0o775), kind: 'static' }, uid)).ok, true);
    assert.equal((await permissionCheck({ name: 'static_root', path: dir(0o755), kind: 'static' }, uid)).severity, 'warning');
    assert.equal((await permissionCheck({ name: 'static_root', path: dir(0o777), kind: 'static' }, uid)).severity, 'critical');
    const missing = await permissionCheck({ name: 'static_root', path: join(dir(0o700), 'nope'), kind: 'static' }, uid);
    assert.deepEqual([missing.ok, missing.severity], [false, 'warning']);
  });

  test('owner: another uid than the service user warns; run as root the owner is not compared', async () => {
    const path = dir(0o750);
    const other = await permissionCheck({ name: 'storage', path, kind: 'protected' }, 4242);
    assert.deepEqual([other.ok, other.severity], [false, 'warning']);
    assert.match(other.detail, /the service runs as uid 4242/);
    const asRoot = await permissionCheck({ name: 'storage', path, kind: 'protected' }, 0);
    assert.equal(asRoot.ok, true);
    assert.match(asRoot.detail, /owner not compared/);
  });
});

describe('host tools (real binaries)', () => {
  test('a missing ffmpeg and language data without deu/eng are critical', async () => {
    const emptyTessdata = mkdtempSync(join(tmpdir(), 'lx-tessdata-'));
    const { settings } = configFrom({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), FFMPEG_EXECUTABLE: '/nonexistent/bin/ffmpeg', TESSDATA_PREFIX: emptyTessdata });
    const checks = await hostToolChecks(settings);
    assert.deepEqual([byName(checks, 'ffmpeg').ok, byName(checks, 'ffmpeg').severity], [false, 'critical']);
    assert.match(byName(checks, 'ffmpeg').detail, /not found/);
    assert.match(byName(checks, 'ffprobe').detail, /\/nonexistent\/bin\/ffprobe not found/);
    assert.equal(byName(checks, 'tesseract').ok, true);
    assert.match(byName(checks, 'tessdata').detail, /lacks deu\.traineddata, eng\.traineddata/);
  });

  test('ffprobe is looked up beside ffmpeg', () => {
    assert.equal(ffprobeFor('ffmpeg'), 'ffprobe');
    assert.equal(ffprobeFor('/opt/ff/bin/ffmpeg'), '/opt/ff/bin/ffprobe');
    assert.equal(ffprobeFor('/usr/local/bin/ffmpeg-6'), '/usr/local/bin/ffprobe-6');
  });
});

describe('master key and role contract', () => {
  const storageFor = (settings: ReturnType<typeof configFrom>['settings']) => new LazyStorage(settings.paths.storageDir, settings.storage);

  test('no key: critical in production, a warning elsewhere', async () => {
    const prod = configFrom(productionEnv(tempDataRoot())).settings;
    const inProd = await masterKeyCheck(prod, storageFor(prod));
    assert.deepEqual([inProd.ok, inProd.severity], [false, 'critical']);
    const dev = configFrom({ DJANGO_ENV: 'development', DATA_DIR: tempDataRoot() }).settings;
    assert.equal((await masterKeyCheck(dev, storageFor(dev))).severity, 'warning');
  });

  test('a key of the wrong length is critical and named without its content', async () => {
    const secret = randomBytes(20).toString('base64url');
    const settings = configFrom({ DJANGO_ENV: 'development', DATA_DIR: tempDataRoot(), LX_ANNOTATE_MASTER_KEY: secret }).settings;
    const check = await masterKeyCheck(settings, storageFor(settings));
    assert.deepEqual([check.ok, check.severity], [false, 'critical']);
    assert.match(check.detail, /LX_ANNOTATE_MASTER_KEY/);
    assert.equal(check.detail.includes(secret), false);
  });

  test('site_node: a configured but missing client certificate is critical, none configured warns', async () => {
    const missing = configFrom({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), ENDOREG_DEPLOYMENT_ROLE: 'site_node', LX_ANNOTATE_HUB_EXPORT_CLIENT_CERT_FILE: '/nonexistent/node.crt' }).settings;
    const broken = byName(await roleContractChecks(missing), 'hub_export_tls');
    assert.deepEqual([broken.ok, broken.severity], [false, 'critical']);
    const unconfigured = configFrom({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), ENDOREG_DEPLOYMENT_ROLE: 'site_node' }).settings;
    assert.equal(byName(await roleContractChecks(unconfigured), 'hub_export_tls').severity, 'warning');
    const standalone = configFrom({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot() }).settings;
    const checks = await roleContractChecks(standalone);
    assert.deepEqual(checks.map((c) => [c.name, c.ok]), [['role_contract', true]]);
  });
});
