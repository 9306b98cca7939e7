import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Keyring, MasterKey } from '../../adapters/storage/index.js';
import { HLS_KEY_WRAP_ALGORITHM, hlsKeyAad, unwrapHlsContentKey, wrapHlsContentKey } from './hls-key.js';

const context = { videoId: 42, kind: 'processed' as const, keyId: '3f1c7a2e-8d4b-4c1e-9a6f-2b5d8e0c1a7b' };

describe('HLS content key wrap', () => {
  it('uses the original AAD', () => {
    assert.equal(hlsKeyAad(context).toString(), 'endoreg-db:hls-content-key:v1:video=42:kind=processed:key=3f1c7a2e-8d4b-4c1e-9a6f-2b5d8e0c1a7b');
    assert.throws(() => hlsKeyAad({ ...context, keyId: 'a:b' }), RangeError);
  });

  it('wraps with a 12-byte nonce and unwraps only for the same video, kind and key id', () => {
    const master = MasterKey.generate();
    const contentKey = randomBytes(16);
    const wrapped = wrapHlsContentKey(master, contentKey, context);
    assert.equal(wrapped.keyWrapAlgorithm, HLS_KEY_WRAP_ALGORITHM);
    assert.equal(wrapped.keyNonce.length, 12);
    assert.equal(wrapped.keyCiphertext.length, 32);
    assert.equal(wrapped.masterKeyId, master.id);
    assert.ok(unwrapHlsContentKey(master, wrapped, context)?.equals(contentKey));
    assert.equal(unwrapHlsContentKey(master, wrapped, { ...context, videoId: 43 }), undefined);
    assert.equal(unwrapHlsContentKey(master, wrapped, { ...context, kind: 'raw' }), undefined);
    assert.equal(unwrapHlsContentKey(master, wrapped, { ...context, keyId: 'other' }), undefined);
    assert.equal(unwrapHlsContentKey(MasterKey.generate(), wrapped, context), undefined);
    assert.equal(unwrapHlsContentKey(master, { ...wrapped, keyWrapAlgorithm: 'other' }, context), undefined);
    assert.throws(() => wrapHlsContentKey(master, randomBytes(32), context), RangeError);
  });

  it('keeps keys wrapped under a retiring master key usable after rotation', () => {
    const old = MasterKey.generate();
    const wrapped = wrapHlsContentKey(old, Buffer.alloc(16, 1), context);
    const rotated = new Keyring(MasterKey.generate(), [old]);
    assert.ok(unwrapHlsContentKey(rotated, wrapped, context)?.equals(Buffer.alloc(16, 1)));
    assert.equal(unwrapHlsContentKey(new Keyring(MasterKey.generate()), wrapped, context), undefined);
  });

  it('is what the original computes: Python AESGCM(master).decrypt(nonce, ciphertext, aad)', () => {
    const master = MasterKey.generate();
    const contentKey = randomBytes(16);
    const wrapped = wrapHlsContentKey(master, contentKey, context);
    const program = [
      'import base64, sys',
      'from cryptography.hazmat.primitives.ciphers.aead import AESGCM',
      'key, nonce, ct, aad = (base64.urlsafe_b64decode(a) for a in sys.argv[1:5])',
      'sys.stdout.write(AESGCM(key).decrypt(nonce, ct, aad).hex())',
    ].join('\n');
    const b64 = (b: Buffer) => b.toString('base64url') + '='.repeat((4 - (b.toString('base64url').length % 4)) % 4);
    const r = spawnSync('python3', ['-c', program, master.toBase64(), b64(wrapped.keyNonce), b64(wrapped.keyCiphertext), b64(hlsKeyAad(context))], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, contentKey.toString('hex'));
  });
});
