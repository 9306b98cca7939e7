import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { KeyConfigError, SecretFileError } from './errors.js';
import { loadKeyring, loadSingleKey, parseKeyringFile } from './keyring-file.js';
import { Keyring, MasterKey } from './keys.js';
import { keyIdOfFile } from './lxenc-file.js';
import { decryptStream, encryptStream } from './lxenc-stream.js';
import { collect, patternBytes, rejectsLxenc, tempDir, wholeBuffer } from './testdata/support.js';

describe('MasterKey', () => {
  it('parses URL-safe base64 of 16, 24 or 32 bytes, padding optional, whitespace stripped', () => {
    for (const length of [16, 24, 32]) {
      const bytes = patternBytes(length, length);
      bytes[0] = 0xfb; // forces "-" / "_" into the text
      const padded = bytes.toString('base64url').padEnd(Math.ceil(length / 3) * 4, '=');
      const unpadded = bytes.toString('base64url');
      const expectedId = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
      for (const text of [padded, unpadded, `  ${padded}\n`, `\n${unpadded}\t`]) {
        assert.equal(MasterKey.fromBase64(text).id, expectedId);
      }
      assert.equal(MasterKey.fromBase64(padded).toBase64(), padded);
    }
  });

  it('rejects other lengths and foreign alphabets without echoing the key text', () => {
    const secretLooking = patternBytes(31, 1).toString('base64url');
    for (const text of [secretLooking, patternBytes(33, 2).toString('base64url'), '', 'a+b/' + 'A'.repeat(40), 'not base64!', 'A']) {
      assert.throws(
        () => MasterKey.fromBase64(text, 'key file /etc/lx/active.key'),
        (error: unknown) => error instanceof KeyConfigError && error.message.includes('/etc/lx/active.key') && (text.length < 4 || !error.message.includes(text)),
      );
    }
    assert.throws(() => MasterKey.fromBase64(secretLooking), /31 bytes; it must be 16, 24 or 32/);
  });

  it('does not reveal key bytes through JSON or inspection', () => {
    const key = MasterKey.generate();
    const text = key.toBase64();
    assert.ok(!JSON.stringify({ key }).includes(text.slice(0, 10)));
    assert.ok(!inspect(key).includes(text.slice(0, 10)));
    assert.equal(inspect(key), `MasterKey(${key.id})`);
  });
});

describe('Keyring', () => {
  it('accepts up to 8 retiring keys and rejects more or duplicates', () => {
    const keys = Array.from({ length: 9 }, () => MasterKey.generate());
    assert.equal(new Keyring(MasterKey.generate(), keys.slice(0, 8)).retiring.length, 8);
    assert.throws(() => new Keyring(MasterKey.generate(), keys), /at most 8 retiring keys, got 9/);
    const active = MasterKey.generate();
    assert.throws(() => new Keyring(active, [MasterKey.fromBase64(active.toBase64())]), /listed more than once/);
  });

  it('keeps files readable after their key becomes retiring and reports that key id', async (t) => {
    const dir = await tempDir(t);
    const oldKey = MasterKey.generate();
    const newKey = MasterKey.generate();
    const data = patternBytes(2500, 3);
    const path = join(dir, 'old.enc');
    const handle = await open(path, 'w');
    await encryptStream(wholeBuffer(data), handle, new Keyring(oldKey), { chunkSize: 1000 });
    await handle.close();

    const rotated = new Keyring(newKey, [MasterKey.generate(), oldKey]);
    assert.deepEqual(await collect(decryptStream(path, rotated)), data);
    assert.equal(await keyIdOfFile(path, rotated), oldKey.id);
    assert.notEqual(oldKey.id, rotated.active.id);
    assert.deepEqual(rotated.keyIds, [newKey.id, rotated.retiring[0]!.id, oldKey.id]);
    // new DEKs go to the active key only
    assert.equal(rotated.newDek().keyId, newKey.id);
    // once the old key is dropped, the file (and its cached DEK) is no longer readable
    await rejectsLxenc(collect(decryptStream(path, new Keyring(newKey))), 'wrong_key');
  });
});

describe('keyring file', () => {
  it('parses the documented layout, with comments, quotes and an omitted or empty retiring list', () => {
    assert.deepEqual(
      parseKeyringFile('# rotated 2024-05\nschema_version: 1\nactive: /etc/lx/k3.key   # current\nretiring:\n  - /etc/lx/k2.key\n  - "/etc/lx/k 1.key"\n\n'),
      { active: '/etc/lx/k3.key', retiring: ['/etc/lx/k2.key', '/etc/lx/k 1.key'] },
    );
    assert.deepEqual(parseKeyringFile('schema_version: 1\nactive: \'/k.key\'\nretiring: []\n'), { active: '/k.key', retiring: [] });
    assert.deepEqual(parseKeyringFile('active: /k.key\r\nschema_version: 1\r\n'), { active: '/k.key', retiring: [] });
  });

  it('rejects malformed keyring files', () => {
    const nine = Array.from({ length: 9 }, (_, i) => `  - /k${i}.key`).join('\n');
    const bad: Array<[string, RegExp]> = [
      ['schema_version: 2\nactive: /k\n', /schema_version must be 1/],
      ['active: /k\n', /schema_version must be 1/],
      ['schema_version: 1\n', /active is missing/],
      ['schema_version: 1\nactive: k.key\n', /not absolute/],
      ['schema_version: 1\nactive: /k\nretiring:\n  - ../old.key\n', /not absolute/],
      [`schema_version: 1\nactive: /k\nretiring:\n${nine}\n`, /at most 8 retiring keys/],
      ['schema_version: 1\nactive: /k\nactive: /j\n', /line 3: "active" appears more than once/],
      ['schema_version: 1\nactive: /k\nextra: 1\n', /unknown key "extra"/],
      ['schema_version: 1\n  - /k\nactive: /k\n', /only allowed under "retiring:"/],
      ['schema_version: 1\nactive: /k\nretiring: /old\n', /retiring must be a list/],
      ['schema_version: 1\nactive: "/k\n', /unbalanced quotes/],
      ['schema_version: 1\nactive /k\n', /expected "key: value"/],
    ];
    for (const [text, pattern] of bad) assert.throws(() => parseKeyringFile(text), (e: unknown) => e instanceof KeyConfigError && pattern.test(e.message), text);
  });

  it('loads the keyring and its key files with the secret-file rules', async (t) => {
    const dir = await tempDir(t);
    const active = MasterKey.generate();
    const old = MasterKey.fromBytes(patternBytes(16, 4));
    const write = async (name: string, content: string, mode: number): Promise<string> => {
      const path = join(dir, name);
      await writeFile(path, content);
      await chmod(path, mode);
      return path;
    };
    const activePath = await write('active.key', `${active.toBase64()}\n`, 0o640);
    const oldPath = await write('old.key', old.toBase64().replace(/=+$/, ''), 0o600);
    const ringPath = await write('keyring.yaml', `schema_version: 1\nactive: ${activePath}\nretiring:\n  - ${oldPath}\n`, 0o640);
    const ring = await loadKeyring(ringPath);
    assert.deepEqual(ring.keyIds, [active.id, old.id]);
    assert.equal((await loadSingleKey(activePath)).active.id, active.id);

    await chmod(oldPath, 0o644);
    await assert.rejects(loadKeyring(ringPath), (e: unknown) => e instanceof SecretFileError && e.path === oldPath);
    await chmod(oldPath, 0o600);
    await chmod(ringPath, 0o664);
    await assert.rejects(loadKeyring(ringPath), (e: unknown) => e instanceof SecretFileError && e.path === ringPath);
  });
});
