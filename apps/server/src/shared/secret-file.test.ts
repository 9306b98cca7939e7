import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readSecretFile, SecretFileError } from './secret-file.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lx-secret-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const SECRET = 'c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr';

async function secretFile(dir: string, name: string, mode: number, content = `  ${SECRET}\n`): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  await chmod(path, mode);
  return path;
}

function refused(path: string, rule: RegExp, options = {}): void {
  assert.throws(() => readSecretFile(path, options), (error: unknown) => {
    assert.ok(error instanceof SecretFileError, String(error));
    assert.match(error.message, rule);
    assert.ok(error.message.includes(path), 'names the path');
    assert.ok(!error.message.includes(SECRET), 'never includes the contents');
    return true;
  });
}

describe('readSecretFile', () => {
  it('accepts 0600 and 0640 files and strips surrounding whitespace', async (t) => {
    const dir = await tempDir(t);
    assert.equal(readSecretFile(await secretFile(dir, 'a', 0o600)), SECRET);
    assert.equal(readSecretFile(await secretFile(dir, 'b', 0o640)), SECRET);
    assert.equal(readSecretFile(await secretFile(dir, 'c', 0o400)), SECRET);
  });

  it('rejects permission bits for others (0644, 0604, 0601)', async (t) => {
    const dir = await tempDir(t);
    for (const mode of [0o644, 0o604, 0o601, 0o602]) refused(await secretFile(dir, `m${mode}`, mode), /others \(mode 06/);
  });

  it('rejects group write and group execute', async (t) => {
    const dir = await tempDir(t);
    refused(await secretFile(dir, 'gw', 0o660), /group-writable/);
    refused(await secretFile(dir, 'gx', 0o610), /group-writable or group-executable/);
  });

  it('rejects relative paths, missing files, directories and symlinks', async (t) => {
    const dir = await tempDir(t);
    refused('relative/key', /not an absolute path/);
    refused(join(dir, 'missing'), /cannot be inspected \(ENOENT\)/);
    await mkdir(join(dir, 'd'), { mode: 0o700 });
    refused(join(dir, 'd'), /not a regular file/);
    const target = await secretFile(dir, 'target', 0o600);
    await symlink(target, join(dir, 'link'));
    refused(join(dir, 'link'), /symbolic link/);
  });

  it('rejects files owned by other users unless they are the service user', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('changing file ownership needs root');
      return;
    }
    const dir = await tempDir(t);
    const path = await secretFile(dir, 'owned', 0o600);
    await chown(path, 12345, 0);
    refused(path, /owned by uid 12345/);
    assert.equal(readSecretFile(path, { serviceUid: 12345 }), SECRET);
    await chown(path, 0, 0);
    assert.equal(readSecretFile(path, { serviceUid: 12345 }), SECRET, 'root-owned stays allowed');
  });

  it('rejects empty, whitespace-only and oversized files', async (t) => {
    const dir = await tempDir(t);
    refused(await secretFile(dir, 'empty', 0o600, ''), /is empty/);
    refused(await secretFile(dir, 'blank', 0o600, ' \n\t\n'), /is empty/);
    refused(await secretFile(dir, 'big', 0o600, 'x'.repeat(64 * 1024 + 1)), /larger than 65536 bytes/);
    assert.equal(readSecretFile(await secretFile(dir, 'max', 0o600, 'y'.repeat(64 * 1024))).length, 64 * 1024);
  });
});
