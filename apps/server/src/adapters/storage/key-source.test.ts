import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LazyStorage, resolveKeyring, StorageKeyError } from './key-source.js';
import { MasterKey } from './keys.js';
import { tempDir } from './testdata/support.js';

const secret = (text: string) => ({ reveal: () => text });

async function keyFile(dir: string, name: string, key: MasterKey, mode = 0o600): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${key.toBase64()}\n`);
  await chmod(path, mode);
  return path;
}

function rejectsWith(variable: string, pattern: RegExp, leaked?: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof StorageKeyError, String(error));
    assert.equal(error.variable, variable);
    assert.match(error.message, pattern);
    if (leaked !== undefined) assert.ok(!error.message.includes(leaked), 'no key material in the message');
    return true;
  };
}

describe('resolveKeyring', () => {
  it('uses the single master key when no keyring file is configured', async () => {
    const key = MasterKey.generate();
    const ring = await resolveKeyring({ masterKey: secret(key.toBase64()), masterKeyVia: 'LX_ANNOTATE_MASTER_KEY_FILE' });
    assert.deepEqual(ring.keyIds, [key.id]);
  });

  it('fails without any key, naming all three variables and refusing to invent one', async () => {
    await assert.rejects(resolveKeyring({}), rejectsWith('LX_ANNOTATE_MASTER_KEY', /LX_ANNOTATE_MASTER_KEY_FILE.*LX_ANNOTATE_MASTER_KEYRING_FILE.*never generates/));
  });

  it('names the variable of a malformed key without echoing it', async () => {
    const text = Buffer.alloc(20, 7).toString('base64url');
    await assert.rejects(resolveKeyring({ masterKey: secret(text), masterKeyVia: 'LX_ANNOTATE_MASTER_KEY_FILE' }), rejectsWith('LX_ANNOTATE_MASTER_KEY_FILE', /20 bytes/, text));
  });

  it('prefers the keyring file, and insists that a master key set beside it is one of its keys', async (t) => {
    const dir = await tempDir(t);
    const active = MasterKey.generate();
    const old = MasterKey.generate();
    const ringPath = join(dir, 'keyring.yaml');
    await writeFile(ringPath, `schema_version: 1\nactive: ${await keyFile(dir, 'a.key', active)}\nretiring:\n  - ${await keyFile(dir, 'o.key', old, 0o640)}\n`);
    await chmod(ringPath, 0o640);
    assert.deepEqual((await resolveKeyring({ keyringFile: ringPath })).keyIds, [active.id, old.id]);
    assert.deepEqual((await resolveKeyring({ keyringFile: ringPath, masterKey: secret(old.toBase64()) })).keyIds, [active.id, old.id]);
    const stranger = MasterKey.generate();
    await assert.rejects(
      resolveKeyring({ keyringFile: ringPath, masterKey: secret(stranger.toBase64()), masterKeyVia: 'LX_ANNOTATE_MASTER_KEY' }),
      rejectsWith('LX_ANNOTATE_MASTER_KEY', /not in the keyring/, stranger.toBase64()),
    );
    await chmod(ringPath, 0o644);
    await assert.rejects(resolveKeyring({ keyringFile: ringPath }), rejectsWith('LX_ANNOTATE_MASTER_KEYRING_FILE', /permission bits for others/));
    await assert.rejects(resolveKeyring({ keyringFile: join(dir, 'missing.yaml') }), rejectsWith('LX_ANNOTATE_MASTER_KEYRING_FILE', /ENOENT/));
  });
});

describe('LazyStorage', () => {
  it('reads no key until storage is used, then caches the service; failures are not cached', async (t) => {
    const dir = await tempDir(t);
    const root = join(dir, 'storage');
    await mkdir(root);
    const ringPath = join(dir, 'keyring.yaml');
    const lazy = new LazyStorage(root, { keyringFile: ringPath });
    assert.equal(lazy.configured, true);
    await assert.rejects(lazy.service(), StorageKeyError);
    const key = MasterKey.generate();
    await writeFile(ringPath, `schema_version: 1\nactive: ${await keyFile(dir, 'k.key', key)}\n`);
    await chmod(ringPath, 0o600);
    const service = await lazy.service();
    assert.equal(service.root, root);
    assert.equal(service.keyring.active.id, key.id);
    assert.equal(await lazy.service(), service);
    assert.equal(new LazyStorage(root, {}).configured, false);
  });
});
