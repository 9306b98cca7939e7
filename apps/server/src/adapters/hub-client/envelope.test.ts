import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EnvelopeError, loadRecipientKeyring, openEnvelope, sealEnvelope, MAX_ENVELOPE_HEADER_BYTES, type RecipientKeyring } from './envelope.js';

async function* chunks(data: Buffer, size = 7000): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

function seal(keyring: RecipientKeyring, plaintext: Buffer, chunkSize = 4096, transferKey = 'site__video__abc__processed_v1'): Promise<Buffer> {
  const sealed = sealEnvelope(chunks(plaintext), { recipientPublicKey: keyring.active.publicKey, recipientKeyId: keyring.active.keyId, targetNodeKey: 'central', transferKey, plaintextBytes: plaintext.length, chunkSize });
  return collect(sealed.body).then((b) => {
    assert.equal(b.length, sealed.totalBytes, 'declared envelope size is exact');
    return b;
  });
}

describe('schema 3.0 envelope (X25519 + AES-256-GCM chunks)', () => {
  let dir: string;
  let keyring: RecipientKeyring;
  let rotated: RecipientKeyring;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lx-env-'));
    for (const name of ['old', 'new']) execFileSync('openssl', ['genpkey', '-algorithm', 'X25519', '-out', join(dir, `${name}.pem`)]);
    keyring = loadRecipientKeyring([join(dir, 'old.pem')]);
    rotated = loadRecipientKeyring([join(dir, 'new.pem'), join(dir, 'old.pem')]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('round trip over several records; ciphertext shows nothing of the plaintext', async () => {
    const plaintext = Buffer.from('VIDEO-FRAME-PATIENT-MUSTERMANN-'.repeat(2000));
    const envelope = await seal(keyring, plaintext);
    assert.equal(envelope.includes(Buffer.from('MUSTERMANN')), false);
    assert.equal(envelope.includes(plaintext.subarray(100, 132)), false);
    const opened = await openEnvelope(chunks(envelope, 1000), keyring);
    const out = await collect(opened.plaintext);
    assert.deepEqual(createHash('sha256').update(out).digest(), createHash('sha256').update(plaintext).digest());
    assert.equal(opened.envelopeSha256(), createHash('sha256').update(envelope).digest('hex'));
  });

  test('an empty file is one authenticated record', async () => {
    const envelope = await seal(keyring, Buffer.alloc(0));
    const out = await collect((await openEnvelope(chunks(envelope), keyring)).plaintext);
    assert.equal(out.length, 0);
  });

  test('keyring rotation: envelopes to the retiring key still open, the active key is published', async () => {
    const envelope = await seal(keyring, randomBytes(10_000));
    assert.notEqual(rotated.active.keyId, keyring.active.keyId);
    await collect((await openEnvelope(chunks(envelope), rotated)).plaintext);
    const onlyNew = loadRecipientKeyring([join(dir, 'new.pem')]);
    await assert.rejects(openEnvelope(chunks(envelope), onlyNew), (e: unknown) => e instanceof EnvelopeError && e.code === 'unknown_recipient_key');
  });

  test('a flipped ciphertext bit, a truncated or extended envelope, and a changed header all fail', async () => {
    const plaintext = randomBytes(20_000);
    const envelope = await seal(keyring, plaintext);
    const flipped = Buffer.from(envelope);
    flipped[flipped.length - 5000] = (flipped[flipped.length - 5000] as number) ^ 0x01;
    await assert.rejects(collect((await openEnvelope(chunks(flipped), keyring)).plaintext), (e: unknown) => e instanceof EnvelopeError && e.code === 'authentication_failed');
    await assert.rejects(collect((await openEnvelope(chunks(envelope.subarray(0, envelope.length - 16)), keyring)).plaintext), EnvelopeError);
    await assert.rejects(collect((await openEnvelope(chunks(Buffer.concat([envelope, Buffer.from([0])])), keyring)).plaintext), EnvelopeError);
    const headerLength = envelope.readUInt32BE(8);
    const header = envelope.subarray(12, 12 + headerLength).toString('utf8').replace('site__video__abc', 'site__video__xyz');
    const forged = Buffer.concat([envelope.subarray(0, 12), Buffer.from(header), envelope.subarray(12 + headerLength)]);
    await assert.rejects(collect((await openEnvelope(chunks(forged), keyring)).plaintext), (e: unknown) => e instanceof EnvelopeError && e.code === 'authentication_failed');
  });

  test('headers above 4 KiB are refused on both sides', async () => {
    assert.throws(() => sealEnvelope(chunks(Buffer.alloc(1)), { recipientPublicKey: keyring.active.publicKey, recipientKeyId: keyring.active.keyId, targetNodeKey: 'x'.repeat(MAX_ENVELOPE_HEADER_BYTES), transferKey: 't', plaintextBytes: 1 }), EnvelopeError);
    const big = Buffer.alloc(12);
    Buffer.from('LXHENV1\n').copy(big);
    big.writeUInt32BE(MAX_ENVELOPE_HEADER_BYTES + 1, 8);
    await assert.rejects(openEnvelope(chunks(Buffer.concat([big, Buffer.alloc(5000)])), keyring), (e: unknown) => e instanceof EnvelopeError && e.code === 'header_too_large');
  });
});
