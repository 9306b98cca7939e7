// Test helpers shared by the storage tests (not part of the public surface).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LxencError } from '../errors.js';
import type { LxencErrorCode } from '../errors.js';

/** A fresh temp directory, removed after the test. */
export async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lxenc-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Deterministic PRNG (mulberry32) so random ranges are reproducible from the seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic pseudo-random bytes. */
export function patternBytes(length: number, seed = 1): Buffer {
  const next = prng(seed);
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i += 1) out[i] = Math.floor(next() * 256);
  return out;
}

/** Yields `data` in odd, irregular pieces (1…maxPiece bytes, some empty), as a slow socket would. */
export async function* oddPieces(data: Buffer, maxPiece = 37, seed = 7): AsyncGenerator<Buffer> {
  const next = prng(seed);
  let offset = 0;
  while (offset < data.length) {
    const size = Math.floor(next() * (maxPiece + 1));
    yield data.subarray(offset, offset + size);
    offset += size;
    await Promise.resolve();
  }
}

/** Yields `data` once (or nothing for an empty buffer). */
export async function* wholeBuffer(data: Buffer): AsyncGenerator<Buffer> {
  if (data.length > 0) yield data;
}

/** Yields `data` then fails, as a broken upload would. */
export async function* failingAfter(data: Buffer, message = 'source broke'): AsyncGenerator<Buffer> {
  yield data;
  await Promise.resolve();
  throw new Error(message);
}

/** Reads a stream to the end. */
export async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Splits a raw LXENC01 file into header bytes and chunk ciphertext lengths (minimal independent parser). */
export function parseLayout(file: Buffer): { headerBytes: Buffer; headerEnd: number; chunkLengths: number[] } {
  assert.equal(file.subarray(0, 8).toString('latin1'), 'LXENC01\n');
  const headerLength = file.readUInt32BE(8);
  const headerEnd = 12 + headerLength;
  const chunkLengths: number[] = [];
  let position = headerEnd;
  while (position < file.length) {
    const length = file.readUInt32BE(position);
    chunkLengths.push(length);
    position += 4 + length;
  }
  assert.equal(position, file.length, 'records must end exactly at the end of the file');
  return { headerBytes: file.subarray(12, headerEnd), headerEnd, chunkLengths };
}

/** Asserts that `action` rejects with an LxencError of the given code (any code when omitted). */
export async function rejectsLxenc(action: Promise<unknown> | (() => Promise<unknown>), code?: LxencErrorCode): Promise<LxencError> {
  let caught: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof LxencError, `expected an LxencError, got ${String(caught)}`);
  if (code !== undefined) assert.equal(caught.code, code, caught.message);
  return caught;
}
