import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { Keyring, MasterKey } from './keys.js';
import { plaintextSize } from './lxenc-file.js';
import { parseHeader, serializeHeader } from './lxenc-format.js';
import { decryptStream, encryptStream } from './lxenc-stream.js';
import { readRange } from './range-reader.js';
import { collect, parseLayout, patternBytes, rejectsLxenc, tempDir, wholeBuffer } from './testdata/support.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'lxenc_reference.py');

async function python(...args: string[]): Promise<Buffer> {
  const { stdout } = await run(PYTHON, [SCRIPT, ...args], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function encryptHere(path: string, data: Buffer, keyring: Keyring, chunkSize: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await encryptStream(wholeBuffer(data), handle, keyring, { chunkSize });
  } finally {
    await handle.close();
  }
}

describe('compatibility with the Python reference implementation', () => {
  before(async () => {
    try {
      await run(PYTHON, ['-c', 'import cryptography.hazmat.primitives.ciphers.aead']);
    } catch {
      await run('apt-get', ['install', '-y', 'python3-cryptography'], { maxBuffer: 64 * 1024 * 1024 });
      await run(PYTHON, ['-c', 'import cryptography.hazmat.primitives.ciphers.aead']);
    }
  });

  const cases: Array<{ keyBytes: 16 | 24 | 32; chunkSize: number; size: number }> = [
    { keyBytes: 32, chunkSize: 1048576, size: 3 * 1048576 + 5 },
    { keyBytes: 32, chunkSize: 1048576, size: 0 },
    { keyBytes: 16, chunkSize: 1000, size: 1000 },
    { keyBytes: 24, chunkSize: 1000, size: 4321 },
    { keyBytes: 32, chunkSize: 16, size: 1 },
    { keyBytes: 16, chunkSize: 16, size: 16 * 7 + 15 },
  ];

  for (const { keyBytes, chunkSize, size } of cases) {
    it(`AES-${keyBytes * 8} master key, chunk ${chunkSize}, ${size} bytes, both directions`, async (t) => {
      const dir = await tempDir(t);
      const master = MasterKey.fromBytes(patternBytes(keyBytes, keyBytes + size));
      const keyring = new Keyring(master);
      const keyText = master.toBase64().replace(/=+$/, '');
      const data = patternBytes(size, size + 1);
      const plainPath = join(dir, 'plain.bin');
      await writeFile(plainPath, data);

      // here → Python
      const oursPath = join(dir, 'ours.enc');
      await encryptHere(oursPath, data, keyring, chunkSize);
      await python('decrypt', '--key', keyText, oursPath, join(dir, 'ours.dec'));
      assert.ok((await readFile(join(dir, 'ours.dec'))).equals(data), 'Python decrypts our file');
      const ours = parseLayout(await readFile(oursPath));
      assert.deepEqual(await python('canonical-header', oursPath), ours.headerBytes, 'our header is json.dumps-canonical');
      const pythonLengths = (await python('chunk-lengths', oursPath)).toString().split('\n').filter(Boolean).map(Number);
      assert.deepEqual(pythonLengths, ours.chunkLengths);

      // Python → here
      const theirsPath = join(dir, 'theirs.enc');
      await python('encrypt', '--key', keyText, '--chunk-size', String(chunkSize), plainPath, theirsPath);
      const theirs = parseLayout(await readFile(theirsPath));
      assert.deepEqual(serializeHeader(parseHeader(theirs.headerBytes)), theirs.headerBytes, 'we serialize their header identically');
      assert.deepEqual(theirs.chunkLengths, ours.chunkLengths, 'same chunking on both sides');
      assert.ok((await collect(decryptStream(theirsPath, keyring))).equals(data), 'we decrypt the Python file');
      assert.equal(await plaintextSize(theirsPath), size);
      if (size > 2) {
        const start = Math.floor(size / 3);
        assert.ok((await collect(readRange(theirsPath, keyring, start, size - 2))).equals(data.subarray(start, size - 1)));
      }
      await rejectsLxenc(collect(decryptStream(theirsPath, new Keyring(MasterKey.generate()))), 'wrong_key');
    });
  }

  it('Python refuses a file we corrupted (the reference is not a no-op)', async (t) => {
    const dir = await tempDir(t);
    const master = MasterKey.generate();
    const path = join(dir, 'f.enc');
    await encryptHere(path, patternBytes(3000, 1), new Keyring(master), 1000);
    const raw = await readFile(path);
    raw[raw.length - 5]! ^= 1;
    await writeFile(path, raw);
    await assert.rejects(python('decrypt', '--key', master.toBase64(), path, join(dir, 'out')));
  });
});
