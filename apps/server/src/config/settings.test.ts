import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { configFrom, productionEnv, tempDataRoot } from '../../test/helpers/env.js';
import { ConfigError } from './errors.js';
import { formatExplain } from './explain.js';

const dev = (extra: Record<string, string> = {}) => ({ DJANGO_ENV: 'development', LX_ANNOTATE_DATA_DIR: tempDataRoot(), ...extra });
const refused = (env: Record<string, string>, variable: string | RegExp) =>
  assert.throws(
    () => configFrom(env),
    (e: unknown) => e instanceof ConfigError && (typeof variable === 'string' ? e.variable === variable : variable.test(e.message)),
  );

function secretFile(content: string, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), 'lx-secret-'));
  const path = join(dir, 'secret');
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

describe('data root and derived paths', () => {
  test('canonical variable wins over both aliases, then LX_ANNOTATE_DATA_DIR, then DATA_DIR', () => {
    const [a, b, c] = [tempDataRoot(), tempDataRoot(), tempDataRoot()];
    assert.equal(configFrom({ DJANGO_ENV: 'test', LX_ANNOTATE_ENCRYPTED_DATA_DIR: a, LX_ANNOTATE_DATA_DIR: b, DATA_DIR: c }).settings.paths.dataRoot, a);
    assert.equal(configFrom({ DJANGO_ENV: 'test', LX_ANNOTATE_DATA_DIR: b, DATA_DIR: c }).settings.paths.dataRoot, b);
    assert.equal(configFrom({ DJANGO_ENV: 'test', DATA_DIR: c }).settings.paths.dataRoot, c);
    assert.equal(configFrom({ DJANGO_ENV: 'test', LX_ANNOTATE_ENCRYPTED_DATA_DIR: '  ', DATA_DIR: c }).settings.paths.dataRoot, c);
  });

  test('falls back to $XDG_DATA_HOME/lx-annotate, then ~/.local/share/lx-annotate', () => {
    const home = mkdtempSync(join(tmpdir(), 'lx-home-'));
    assert.equal(configFrom({ DJANGO_ENV: 'test', XDG_DATA_HOME: '/srv/xdg' }, { home }).settings.paths.dataRoot, '/srv/xdg/lx-annotate');
    assert.equal(configFrom({ DJANGO_ENV: 'test' }, { home }).settings.paths.dataRoot, join(home, '.local/share/lx-annotate'));
  });

  test('derived roots follow the original layout', () => {
    const root = tempDataRoot();
    const p = configFrom({ DJANGO_ENV: 'test', DATA_DIR: root }).settings.paths;
    assert.equal(p.storageDir, join(root, 'storage'));
    assert.equal(p.protectedMediaRoot, join(root, 'storage'));
    assert.equal(p.streamableRoot, join(root, 'storage/streamable_videos'));
    assert.equal(p.streamableRawRoot, join(root, 'storage/streamable_videos/raw'));
    assert.equal(p.streamableProcessedRoot, join(root, 'storage/streamable_videos/processed'));
    assert.equal(p.quarantineDir, join(root, 'quarantine'));
    assert.equal(p.importDirs.video, join(root, 'import/video_import'));
    assert.equal(p.importDirs.report, join(root, 'import/report_import'));
    assert.equal(p.importDirs.preanonymized, join(root, 'import/preanonymized_import'));
    assert.equal(p.importDirs.sapImport, join(root, 'import/sap_import'));
    assert.equal(p.staticRoot, join(root, 'staticfiles'));
  });

  test('a data root named data puts static files beside it', () => {
    const parent = tempDataRoot();
    const p = configFrom({ DJANGO_ENV: 'test', DATA_DIR: join(parent, 'data') }).settings.paths;
    assert.equal(p.staticRoot, join(parent, 'staticfiles'));
  });

  test('STORAGE_DIR and IO_DIR inside the root are accepted, outside refused', () => {
    const root = tempDataRoot();
    const s = configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, STORAGE_DIR: join(root, 'store'), IO_DIR: 'io' }).settings.paths;
    assert.equal(s.storageDir, join(root, 'store'));
    assert.equal(s.ioDir, join(root, 'io'));
    assert.equal(s.importDirs.video, join(root, 'io/import/video_import'));
    refused({ DJANGO_ENV: 'test', DATA_DIR: root, STORAGE_DIR: '/var/tmp/elsewhere' }, 'STORAGE_DIR');
    refused({ DJANGO_ENV: 'test', DATA_DIR: root, STORAGE_DIR: `${root}/../escape` }, 'STORAGE_DIR');
    refused({ DJANGO_ENV: 'test', DATA_DIR: root, IO_DIR: '/tmp' }, 'IO_DIR');
    refused({ DJANGO_ENV: 'test', DATA_DIR: root, PROTECTED_MEDIA_ROOT: '/srv/media' }, 'PROTECTED_MEDIA_ROOT');
    refused({ DJANGO_ENV: 'test', DATA_DIR: root, LX_ANNOTATE_STREAMABLE_VIDEO_ROOT: join(root, 'quarantine') }, 'LX_ANNOTATE_STREAMABLE_VIDEO_ROOT');
    refused({ DJANGO_ENV: 'test', DATA_DIR: root, WATCHER_VIDEO_DIR: '/mnt/share' }, 'WATCHER_VIDEO_DIR');
  });
});

describe('env file', () => {
  test('production candidates: <parent of data>/.env.systemd first, then <root>/.env.systemd', () => {
    const parent = tempDataRoot();
    const root = join(parent, 'data');
    mkdirSync(root);
    writeFileSync(join(root, '.env.systemd'), 'DJANGO_TIME_ZONE=Europe/Berlin\n');
    let loaded = configFrom({ DJANGO_ENV: 'test', LX_ANNOTATE_ENCRYPTED_DATA_DIR: root });
    assert.equal(loaded.envFile, join(root, '.env.systemd'));
    writeFileSync(join(parent, '.env.systemd'), 'DJANGO_TIME_ZONE="America/New_York"\n');
    loaded = configFrom({ DJANGO_ENV: 'test', LX_ANNOTATE_ENCRYPTED_DATA_DIR: root });
    assert.equal(loaded.envFile, join(parent, '.env.systemd'));
    assert.equal(loaded.settings.timeZone, 'America/New_York');
  });

  test('the app root .env.systemd is the last production candidate; development reads .env', () => {
    const app = tempDataRoot();
    writeFileSync(join(app, '.env.systemd'), 'DJANGO_LANGUAGE_CODE=de-de\n');
    writeFileSync(join(app, '.env'), 'DJANGO_LANGUAGE_CODE=fr-fr\n');
    const root = tempDataRoot();
    assert.equal(configFrom({ DJANGO_ENV: 'test', DATA_DIR: root }, { appRoot: app }).settings.languageCode, 'de-de');
    assert.equal(configFrom({ DJANGO_ENV: 'development', DATA_DIR: root }, { appRoot: app }).settings.languageCode, 'fr-fr');
  });

  test('the process environment wins over the file; the file fills the gaps; quoted spaces survive', () => {
    const root = tempDataRoot();
    writeFileSync(join(root, '.env.systemd'), 'DJANGO_ALLOWED_HOSTS="a.example.org, b.example.org"\nDJANGO_LANGUAGE_CODE=de-de\nLX_ANNOTATE_DEFAULT_CENTER=from-file\n');
    const { settings, sources } = configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, LX_ANNOTATE_DEFAULT_CENTER: 'from-process' });
    assert.equal(settings.defaultCenterKey, 'from-process');
    assert.equal(settings.languageCode, 'de-de');
    assert.deepEqual(settings.http.allowedHosts, ['a.example.org', 'b.example.org']);
    assert.equal(sources.get('DJANGO_LANGUAGE_CODE')?.source, 'env-file');
  });

  test('an explicit env file that cannot be read aborts', () => {
    refused({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), LX_ANNOTATE_ENV_FILE: '/nonexistent/.env.systemd' }, 'env file');
  });

  test('a malformed env file aborts with the file and line', () => {
    const root = tempDataRoot();
    writeFileSync(join(root, '.env.systemd'), 'OK=1\nthis is not a setting\n');
    refused({ DJANGO_ENV: 'test', DATA_DIR: root }, /\.env\.systemd:2/);
  });

  test('aliases are honoured in both sources, canonical first', () => {
    const root = tempDataRoot();
    writeFileSync(join(root, '.env.systemd'), 'ALLOWED_HOSTS=file-alias.example\n');
    assert.deepEqual(configFrom({ DJANGO_ENV: 'test', DATA_DIR: root }).settings.http.allowedHosts, ['file-alias.example']);
    assert.deepEqual(configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, DJANGO_ALLOWED_HOSTS: 'canon.example' }).settings.http.allowedHosts, ['canon.example']);
    assert.equal(configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, TIME_ZONE: 'Europe/Berlin' }).settings.timeZone, 'Europe/Berlin');
    assert.equal(configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, CELERY_DEFAULT_QUEUE: 'q1' }).settings.queues.default, 'q1');
    assert.equal(configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, FFMPEG_BINARY: '/opt/ff' }).settings.media.ffmpeg, '/opt/ff');
    assert.equal(configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, ENDOREG_DEPLOYMENT_ROLE: 'Site_Node' }).settings.role, 'site_node');
  });
});

describe('secrets and *_FILE variants', () => {
  test('a literal value wins over the file; the file is used when no literal is set', () => {
    const file = secretFile('  from-file-secret-value-0123456789abcdef \n');
    assert.equal(configFrom(dev({ DJANGO_SECRET_KEY_FILE: file })).settings.auth.secretKey?.reveal(), 'from-file-secret-value-0123456789abcdef');
    assert.equal(configFrom(dev({ DJANGO_SECRET_KEY_FILE: file, DJANGO_SECRET_KEY: 'L'.repeat(40) })).settings.auth.secretKey?.reveal(), 'L'.repeat(40));
  });

  test('a blank *_FILE is unset; an empty, missing, relative, symlinked or world-readable file aborts', () => {
    assert.equal(configFrom(dev({ DJANGO_DB_PASSWORD_FILE: '  ', DJANGO_DB_HOST: 'db' })).settings.database.engine, 'postgres');
    refused(dev({ DJANGO_SECRET_KEY_FILE: secretFile('   \n') }), 'DJANGO_SECRET_KEY_FILE');
    refused(dev({ DJANGO_SECRET_KEY_FILE: '/nonexistent/secret' }), 'DJANGO_SECRET_KEY_FILE');
    refused(dev({ DJANGO_SECRET_KEY_FILE: 'relative/secret' }), 'DJANGO_SECRET_KEY_FILE');
    refused(dev({ DJANGO_SECRET_KEY_FILE: secretFile('x'.repeat(40), 0o644) }), 'DJANGO_SECRET_KEY_FILE');
    refused(dev({ DJANGO_SECRET_KEY_FILE: secretFile('x'.repeat(40), 0o660) }), 'DJANGO_SECRET_KEY_FILE');
    const target = secretFile('x'.repeat(40));
    const link = join(mkdtempSync(join(tmpdir(), 'lx-link-')), 'link');
    symlinkSync(target, link);
    refused(dev({ DJANGO_SECRET_KEY_FILE: link }), 'DJANGO_SECRET_KEY_FILE');
  });

  test('group-readable 0640 secret files are accepted (root:<group> provisioning)', () => {
    assert.ok(configFrom(dev({ DJANGO_SECRET_KEY_FILE: secretFile('g'.repeat(40), 0o640) })).settings.auth.secretKey);
  });

  test('a short literal secret key is refused without echoing it', () => {
    assert.throws(
      () => configFrom(dev({ DJANGO_SECRET_KEY: 'tooShortSecret' })),
      (e: unknown) => e instanceof ConfigError && e.variable === 'DJANGO_SECRET_KEY' && !e.message.includes('tooShortSecret'),
    );
  });

  test('the OIDC secret file may hold env-style lines; changeme_ literals defer to the file', () => {
    const file = secretFile('# keycloak\nKEYCLOAK_CLIENT_SECRET="s3cr3t-from-lines"\n');
    const oidc = configFrom(dev({ DJANGO_KEYCLOAK_CLIENT_SECRET_FILE: file, DJANGO_KEYCLOAK_CLIENT_SECRET: 'changeme_please' })).settings.auth.oidc;
    assert.equal(oidc.clientSecret?.reveal(), 's3cr3t-from-lines');
    const alias = configFrom(dev({ OIDC_RP_CLIENT_SECRET: 'alias-secret' })).settings.auth.oidc;
    assert.equal(alias.clientSecret?.reveal(), 'alias-secret');
    refused(dev({ DJANGO_KEYCLOAK_CLIENT_SECRET_FILE: secretFile('OTHER=1\n') }), 'DJANGO_KEYCLOAK_CLIENT_SECRET_FILE');
  });

  test('secrets never print: String, JSON and inspect show a placeholder', async () => {
    const { inspect } = await import('node:util');
    const key = configFrom(dev({ DJANGO_SECRET_KEY: 'Z'.repeat(40) })).settings.auth.secretKey;
    assert.equal(String(key), '[secret]');
    assert.equal(JSON.stringify({ key }), '{"key":"[secret]"}');
    assert.equal(inspect({ key }).includes('ZZZZ'), false);
  });
});

describe('database selection', () => {
  test('no database setting means the embedded SQLite file under the data root', () => {
    const root = tempDataRoot();
    const db = configFrom({ DJANGO_ENV: 'test', DATA_DIR: root }).settings.database;
    assert.deepEqual(db, { engine: 'sqlite', file: join(root, 'lx-annotate.sqlite3'), via: 'embedded default' });
  });

  test('DATABASE_URL is parsed: postgres with credentials, port and sslmode; sqlite paths', () => {
    const root = tempDataRoot();
    const db = configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, DATABASE_URL: 'postgresql://app:p%40ss@db.internal:6543/lx?sslmode=verify-full' }).settings.database;
    assert.equal(db.engine, 'postgres');
    if (db.engine !== 'postgres') return;
    assert.equal(db.host, 'db.internal');
    assert.equal(db.port, 6543);
    assert.equal(db.user, 'app');
    assert.equal(db.password?.reveal(), 'p@ss');
    assert.equal(db.database, 'lx');
    assert.equal(db.sslMode, 'verify-full');
    const lite = configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, DATABASE_URL: 'sqlite:///srv/x.sqlite3' }).settings.database;
    assert.deepEqual(lite, { engine: 'sqlite', file: '/srv/x.sqlite3', via: 'DATABASE_URL' });
    refused({ DJANGO_ENV: 'test', DATA_DIR: root, DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL');
    refused({ DJANGO_ENV: 'test', DATA_DIR: root, DATABASE_URL: 'not a url' }, 'DATABASE_URL');
  });

  test('DJANGO_DB_* selects PostgreSQL with the original defaults (sslmode require)', () => {
    const db = configFrom({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), DJANGO_DB_NAME: 'lx' }).settings.database;
    assert.equal(db.engine, 'postgres');
    if (db.engine !== 'postgres') return;
    assert.deepEqual([db.host, db.port, db.user, db.database, db.sslMode], ['localhost', 5432, 'lx_annotate', 'lx', 'require']);
  });

  test('sslmode prefer/allow are refused (no opportunistic TLS); engine names are validated', () => {
    refused({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), DJANGO_DB_NAME: 'lx', DJANGO_DB_SSLMODE: 'prefer' }, 'DJANGO_DB_SSLMODE');
    refused({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), DJANGO_DB_ENGINE: 'django.db.backends.mysql' }, 'DJANGO_DB_ENGINE');
    refused({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), DJANGO_DB_NAME: 'lx', DJANGO_DB_PORT: '99999' }, 'DJANGO_DB_PORT');
    const lite = configFrom({ DJANGO_ENV: 'test', DATA_DIR: '/srv/d', DJANGO_DB_ENGINE: 'django.db.backends.sqlite3', DJANGO_DB_NAME: 'db.sqlite3' }).settings.database;
    assert.deepEqual(lite, { engine: 'sqlite', file: '/srv/d/db.sqlite3', via: 'DJANGO_DB_ENGINE' });
  });
});

describe('deployment roles (§1.4)', () => {
  const hubBase = (root: string): Record<string, string> => ({
    ...productionEnv(root),
    ENDOREG_DEPLOYMENT_ROLE: 'central_hub',
    DATABASE_URL: 'postgres://lx:pw@db.internal/lx',
  });

  test('an unknown role aborts; roles are case-insensitive', () => {
    refused(dev({ ENDOREG_DEPLOYMENT_ROLE: 'local_study_server' }), 'ENDOREG_DEPLOYMENT_ROLE');
    assert.equal(configFrom(dev({ ENDOREG_DEPLOYMENT_ROLE: 'STANDALONE' })).settings.role, 'standalone');
  });

  test('transfers enabled outside central_hub abort', () => {
    refused(dev({ ENDOREG_ENABLE_HUB_TRANSFERS: '1' }), 'ENDOREG_ENABLE_HUB_TRANSFERS');
    refused(dev({ ENDOREG_DEPLOYMENT_ROLE: 'site_node', ENDOREG_ENABLE_INCOMING_HUB_TRANSFERS: 'true' }), 'ENDOREG_ENABLE_HUB_TRANSFERS');
  });

  test('central_hub requires secure transport and mTLS; mTLS defaults on for the hub only', () => {
    const root = tempDataRoot();
    const hub = configFrom(hubBase(root)).settings;
    assert.equal(hub.hub.requireMtls, true);
    assert.equal(hub.hub.mtlsMetaKey, 'HTTP_X_CLIENT_CERT_VERIFIED');
    assert.equal(hub.hub.mtlsMetaValue, 'SUCCESS');
    assert.equal(configFrom(dev()).settings.hub.requireMtls, false);
    refused({ ...hubBase(root), ENDOREG_HUB_TRANSFER_REQUIRE_SECURE_TRANSPORT: '0' }, 'ENDOREG_HUB_TRANSFER_REQUIRE_SECURE_TRANSPORT');
    refused({ ...hubBase(root), ENDOREG_HUB_TRANSFER_REQUIRE_MTLS: 'false' }, 'ENDOREG_HUB_TRANSFER_REQUIRE_MTLS');
    refused({ ...hubBase(root), ENDOREG_HUB_TRANSFER_MTLS_META_KEY: 'X-Client-Cert' }, 'ENDOREG_HUB_TRANSFER_MTLS_META_KEY');
  });

  test('central_hub refuses SQLite, also in development', () => {
    refused({ ...productionEnv(tempDataRoot()), ENDOREG_DEPLOYMENT_ROLE: 'central_hub' }, /SQLite.*central_hub/);
    refused(dev({ ENDOREG_DEPLOYMENT_ROLE: 'central_hub', DATABASE_URL: 'sqlite:///tmp/hub.sqlite3' }), 'DJANGO_DB_ENGINE');
  });

  test('production central_hub needs the canonical data dir variable and an explicit database', () => {
    const root = tempDataRoot();
    const env = hubBase(root);
    assert.equal(configFrom(env).settings.role, 'central_hub');
    const { LX_ANNOTATE_ENCRYPTED_DATA_DIR: _drop, ...noCanonical } = env;
    refused({ ...noCanonical, LX_ANNOTATE_DATA_DIR: root }, 'LX_ANNOTATE_ENCRYPTED_DATA_DIR');
    const { DATABASE_URL: _url, ...noDb } = env;
    refused({ ...noDb, DJANGO_DB_HOST: 'db.internal', DJANGO_DB_PASSWORD: 'pw' }, 'DJANGO_DB_NAME');
    assert.equal(configFrom({ ...noDb, DJANGO_DB_NAME: 'lx', DJANGO_DB_PASSWORD: 'pw' }).settings.database.engine, 'postgres');
  });
});

describe('production contract', () => {
  test('a complete production environment loads', () => {
    const s = configFrom(productionEnv(tempDataRoot())).settings;
    assert.equal(s.env, 'production');
    assert.equal(s.auth.enforceAuth, true);
  });

  for (const [variable, change] of [
    ['DJANGO_SECRET_KEY', { DJANGO_SECRET_KEY: undefined }],
    ['DJANGO_SECRET_KEY', { DJANGO_SECRET_KEY: '***UNSAFE***-0123456789012345678901234567' }],
    ['DJANGO_ALLOWED_HOSTS', { DJANGO_ALLOWED_HOSTS: '[]' }],
    ['DJANGO_CSRF_TRUSTED_ORIGINS', { DJANGO_CSRF_TRUSTED_ORIGINS: undefined }],
    ['DJANGO_CORS_ALLOWED_ORIGINS', { DJANGO_CORS_ALLOWED_ORIGINS: undefined }],
    ['DJANGO_CORS_ALLOWED_ORIGINS', { DJANGO_CORS_ALLOWED_ORIGINS: '*' }],
    ['DJANGO_KEYCLOAK_CLIENT_SECRET', { KEYCLOAK_BASE_URL: 'https://kc.example.org' }],
    ['DJANGO_DB_PASSWORD', { DJANGO_DB_NAME: 'lx' }],
    ['DJANGO_DEBUG', { DJANGO_DEBUG: 'true' }],
    ['ENFORCE_AUTH', { ENFORCE_AUTH: 'True' }],
  ] as const) {
    test(`refuses: ${variable} ${JSON.stringify(change)}`, () => {
      const env: Record<string, string | undefined> = { ...productionEnv(tempDataRoot()), ...change };
      assert.throws(() => configFrom(env), (e: unknown) => e instanceof ConfigError && e.variable === variable);
    });
  }

  test('ENFORCE_AUTH is exactly 1 or 0; development defaults to 0', () => {
    assert.equal(configFrom(dev()).settings.auth.enforceAuth, false);
    assert.equal(configFrom(dev({ ENFORCE_AUTH: '1' })).settings.auth.enforceAuth, true);
  });
});

describe('config --explain', () => {
  test('every declared variable appears with its source; secrets never show their value', () => {
    const root = tempDataRoot();
    const secret = secretFile('file-held-db-password');
    writeFileSync(join(root, '.env.systemd'), 'DJANGO_DB_NAME=lx\nDJANGO_SECRET_KEY="an env-file secret key that is long enough!"\n');
    const loaded = configFrom({ DJANGO_ENV: 'test', LX_ANNOTATE_ENCRYPTED_DATA_DIR: root, DJANGO_DB_PASSWORD_FILE: secret, LX_ANNOTATE_MASTER_KEY: 'bWFzdGVyLWtleS0xMjM0NTY3ODkwMTIzNDU2Nzg5MDE=' });
    const text = formatExplain(loaded);
    assert.match(text, /^LX_ANNOTATE_ENCRYPTED_DATA_DIR\s+\S+\s+\[process-env\]$/m);
    assert.match(text, /^DATA_DIR\s+\S+\s+\[derived\]$/m);
    assert.match(text, /^DJANGO_DB_NAME\s+lx\s+\[env-file\]$/m);
    assert.match(text, /^DJANGO_DB_PASSWORD\s+\(set\)\s+\[file-secret via DJANGO_DB_PASSWORD_FILE\]$/m);
    assert.match(text, /^DJANGO_SECRET_KEY\s+\(set\)\s+\[env-file\]$/m);
    assert.match(text, /^LX_ANNOTATE_MASTER_KEY\s+\(set\)\s+\[process-env\]$/m);
    assert.match(text, /^DJANGO_PORT\s+8000\s+\[default\]$/m);
    for (const leaked of ['file-held-db-password', 'an env-file secret', 'bWFzdGVy']) assert.equal(text.includes(leaked), false, leaked);
  });
});
