import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase64UrlLenient, decodeBase64UrlStrict, encodeBase64Url } from './base64url.js';
import { LxencError } from './errors.js';
import {
  LXENC_MAGIC,
  computeGeometry,
  chunkNonce,
  encodePreamble,
  parseHeader,
  parsePreamble,
  serializeHeader,
} from './lxenc-format.js';
import type { LxencHeader } from './lxenc-format.js';

const header: LxencHeader = {
  chunkSize: 1048576,
  noncePrefix: Buffer.from('0001020304050607', 'hex'),
  wrapNonce: Buffer.alloc(12, 0xfb),
  wrappedDek: Buffer.alloc(48, 0xff),
};

function headerJson(overrides: Record<string, unknown>): Buffer {
  const base: Record<string, unknown> = JSON.parse(serializeHeader(header).toString('utf8'));
  return Buffer.from(JSON.stringify({ ...base, ...overrides }));
}

function assertBadHeader(bytes: Buffer, pattern?: RegExp): void {
  assert.throws(
    () => parseHeader(bytes, '/data/x.enc'),
    (error: unknown) => error instanceof LxencError && error.code === 'bad_header' && error.message.includes('/data/x.enc') && (pattern?.test(error.message) ?? true),
  );
}

describe('base64url', () => {
  it('encodes URL-safe with padding like Python urlsafe_b64encode', () => {
    assert.equal(encodeBase64Url(Buffer.from([0xfb, 0xff])), '-_8=');
    assert.equal(encodeBase64Url(Buffer.from([0xfb])), '-w==');
    assert.equal(encodeBase64Url(Buffer.alloc(0)), '');
    assert.equal(encodeBase64Url(Buffer.from([1, 2, 3])), 'AQID');
  });

  it('strict decoding accepts only the canonical padded form', () => {
    assert.deepEqual(decodeBase64UrlStrict('-_8='), Buffer.from([0xfb, 0xff]));
    for (const bad of ['-_8', '+/8=', '-_9=', 'AQ=D', 'AQID====', ' AQID', 'AQ\nID']) {
      assert.equal(decodeBase64UrlStrict(bad), undefined, bad);
    }
  });

  it('lenient decoding makes padding optional but still rejects foreign characters', () => {
    assert.deepEqual(decodeBase64UrlLenient('-_8'), Buffer.from([0xfb, 0xff]));
    assert.deepEqual(decodeBase64UrlLenient('-_8='), Buffer.from([0xfb, 0xff]));
    for (const bad of ['+/8=', 'A', 'AB=', 'a b', '-_8==']) assert.equal(decodeBase64UrlLenient(bad), undefined, bad);
  });
});

describe('header serialization', () => {
  it('matches json.dumps(sort_keys=True, separators=(",", ":")) byte for byte', () => {
    assert.equal(
      serializeHeader(header).toString('utf8'),
      '{"algorithm":"AESGCM-chunked-v1","chunk_size":1048576,"nonce_prefix":"AAECAwQFBgc=","version":1,' +
        '"wrap_nonce":"-_v7-_v7-_v7-_v7","wrapped_dek":"' + '_'.repeat(64) + '"}',
    );
  });

  it('round-trips through parseHeader', () => {
    const parsed = parseHeader(serializeHeader(header));
    assert.equal(parsed.chunkSize, header.chunkSize);
    assert.deepEqual(parsed.noncePrefix, header.noncePrefix);
    assert.deepEqual(parsed.wrapNonce, header.wrapNonce);
    assert.deepEqual(parsed.wrappedDek, header.wrappedDek);
  });

  it('parses a header regardless of key order and whitespace (raw bytes are kept for the AAD)', () => {
    const json = JSON.parse(serializeHeader(header).toString('utf8'));
    const reordered = Buffer.from(JSON.stringify({ version: 1, ...json }, null, 2));
    assert.equal(parseHeader(reordered).chunkSize, 1048576);
  });

  it('rejects wrong keys, types, versions and lengths', () => {
    assertBadHeader(Buffer.from('not json'), /JSON/);
    assertBadHeader(Buffer.from([0x7b, 0xff, 0x7d]), /UTF-8/);
    assertBadHeader(Buffer.from('[1]'), /object/);
    assertBadHeader(Buffer.from('null'), /object/);
    assertBadHeader(headerJson({ extra: 1 }), /keys/);
    const missing: Record<string, unknown> = JSON.parse(serializeHeader(header).toString('utf8'));
    delete missing['wrap_nonce'];
    assertBadHeader(Buffer.from(JSON.stringify(missing)), /keys/);
    assertBadHeader(headerJson({ version: 2 }), /version/);
    assertBadHeader(headerJson({ version: '1' }), /version/);
    assertBadHeader(headerJson({ algorithm: 'AESGCM-chunked-v2' }), /algorithm/);
    assertBadHeader(headerJson({ chunk_size: 0 }), /chunk_size/);
    assertBadHeader(headerJson({ chunk_size: 64 * 1024 * 1024 + 1 }), /chunk_size/);
    assertBadHeader(headerJson({ chunk_size: 1.5 }), /chunk_size/);
    assertBadHeader(headerJson({ chunk_size: '1024' }), /chunk_size/);
    assertBadHeader(headerJson({ chunk_size: true }), /chunk_size/);
    assertBadHeader(headerJson({ nonce_prefix: encodeBase64Url(Buffer.alloc(7)) }), /nonce_prefix decodes to 7/);
    assertBadHeader(headerJson({ wrap_nonce: encodeBase64Url(Buffer.alloc(16)) }), /wrap_nonce decodes to 16/);
    assertBadHeader(headerJson({ wrapped_dek: encodeBase64Url(Buffer.alloc(32)) }), /wrapped_dek decodes to 32/);
    assertBadHeader(headerJson({ nonce_prefix: 'AAECAwQFBgc' }), /base64/);
    assertBadHeader(headerJson({ nonce_prefix: 12345 }), /base64/);
    assert.equal(parseHeader(headerJson({ chunk_size: 64 * 1024 * 1024 })).chunkSize, 64 * 1024 * 1024);
    assert.equal(parseHeader(headerJson({ chunk_size: 1 })).chunkSize, 1);
  });
});

describe('preamble', () => {
  it('round-trips and bounds the header length to 1…65536', () => {
    const bytes = serializeHeader(header);
    assert.equal(parsePreamble(encodePreamble(bytes)), bytes.length);
    const withLength = (n: number): Buffer => {
      const b = Buffer.alloc(12);
      LXENC_MAGIC.copy(b);
      b.writeUInt32BE(n, 8);
      return b;
    };
    assert.equal(parsePreamble(withLength(65536)), 65536);
    assert.equal(parsePreamble(withLength(1)), 1);
    for (const n of [0, 65537, 0xffffffff]) {
      assert.throws(() => parsePreamble(withLength(n)), (e: unknown) => e instanceof LxencError && e.code === 'bad_header');
    }
  });

  it('rejects foreign data and short files', () => {
    assert.throws(() => parsePreamble(Buffer.from('PK\u0003\u0004 zip file'), '/x'), (e: unknown) => e instanceof LxencError && e.code === 'bad_magic' && e.message.includes('/x'));
    assert.throws(() => parsePreamble(Buffer.alloc(0)), (e: unknown) => e instanceof LxencError && e.code === 'bad_magic');
    assert.throws(() => parsePreamble(Buffer.from('LXENC01\n\0\0')), (e: unknown) => e instanceof LxencError && e.code === 'truncated');
  });
});

describe('geometry', () => {
  const lengthReader = (value: number | undefined) => async () => value;

  it('derives chunk count and plaintext size from the file size', async () => {
    // header end 100, chunk size 10 → full record 30 bytes
    assert.deepEqual(await computeGeometry(100, 10, 100, lengthReader(undefined)), {
      headerEnd: 100, chunkSize: 10, fileSize: 100, chunkCount: 0, lastCiphertextLength: 0, plaintextSize: 0,
    });
    const threeFull = await computeGeometry(100, 10, 190, lengthReader(26));
    assert.equal(threeFull.chunkCount, 3);
    assert.equal(threeFull.plaintextSize, 30);
    const partial = await computeGeometry(100, 10, 100 + 60 + 4 + 16 + 3, lengthReader(19));
    assert.equal(partial.chunkCount, 3);
    assert.equal(partial.lastCiphertextLength, 19);
    assert.equal(partial.plaintextSize, 23);
  });

  it('rejects sizes that cannot hold whole records and mismatching last length fields', async () => {
    const codeOf = async (fileSize: number, declared: number | undefined): Promise<string> => {
      try {
        await computeGeometry(100, 10, fileSize, lengthReader(declared), '/f');
      } catch (error) {
        assert.ok(error instanceof LxencError);
        return error.code;
      }
      return 'ok';
    };
    assert.equal(await codeOf(99, undefined), 'truncated');
    assert.equal(await codeOf(100 + 30 + 20, 16), 'truncated');
    assert.equal(await codeOf(100 + 30 + 3, undefined), 'truncated');
    assert.equal(await codeOf(100 + 30 + 25, 26), 'truncated');
    assert.equal(await codeOf(100 + 30 + 25, 20), 'bad_geometry');
    assert.equal(await codeOf(100 + 30 + 25, 21), 'ok');
    assert.equal(await codeOf(160, 25), 'bad_geometry');
  });

  it('builds nonces as prefix ‖ uint32-BE counter', () => {
    assert.equal(chunkNonce(Buffer.from('0102030405060708', 'hex'), 0x01020304).toString('hex'), '010203040506070801020304');
    assert.equal(chunkNonce(Buffer.alloc(8), 0xffffffff).toString('hex'), '0000000000000000ffffffff');
  });
});
