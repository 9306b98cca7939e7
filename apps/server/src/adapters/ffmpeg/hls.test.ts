import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MediaToolError } from './errors.js';
import { runTool } from './run-tool.js';
import { HLS_PLAYLIST_NAME, materializeHls } from './hls.js';
import { makeNumberedVideo, readFrameNumber, testTools } from './testdata/fixtures.js';

const tools = testTools();
const FRAMES = 250;
let dir: string;
let source: string;
let server: Server;
let base: string;
let servedKey: Buffer | undefined;
let servedDir = '';

/** Stands in for the app (key endpoint) and nginx (segments) of §6.2. */
function startServer(): Promise<void> {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/key' && servedKey) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 16 });
      res.end(servedKey);
      return;
    }
    const seg = /^\/(seg\/seg_\d+\.ts|playlist\.m3u8)$/.exec(url);
    if (!seg) {
      res.writeHead(404).end();
      return;
    }
    readFile(join(servedDir, seg[1]!.replace(/^seg\//, ''))).then(
      (data) => res.writeHead(200).end(data),
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    resolve();
  }));
}

describe('materializeHls', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lx-hls-'));
    source = join(dir, 'source.mp4');
    await makeNumberedVideo(source, { frames: FRAMES, width: 320, height: 64 });
    await startServer();
  });
  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes an AES-128 playlist with 4 s segments that ffmpeg decrypts back to every frame', async () => {
    const outputDir = join(dir, 'streamable', 'processed', 'hls', 'video-1', 'key-1', 'v0');
    const keyMaterialDir = join(dir, 'temp', 'hls_key_material', '1');
    const result = await materializeHls(tools, { sourcePlaintextPath: source, outputDir, keyMaterialDir, keyUri: `${base}/key`, segmentBaseUrl: `${base}/seg/`, threads: 2 });
    assert.equal(result.status, 'materialized');
    if (result.status !== 'materialized') return;
    assert.equal(result.contentKey.length, 16);
    assert.match(result.ivHex, /^[0-9a-f]{32}$/);
    assert.equal(result.segmentCount, 3);
    assert.deepEqual(result.segmentDurationsSeconds.map((d) => Math.round(d * 10) / 10), [4, 4, 2], 'forced key frames make real 4 s segments');

    const playlist = await readFile(join(outputDir, HLS_PLAYLIST_NAME), 'utf8');
    assert.match(playlist, new RegExp(`#EXT-X-KEY:METHOD=AES-128,URI="${base}/key",IV=0x${result.ivHex}`, 'i'));
    assert.match(playlist, /#EXT-X-PLAYLIST-TYPE:VOD/);
    assert.ok(playlist.includes(`${base}/seg/seg_000.ts`));
    for (const name of await readdir(outputDir)) assert.equal((await stat(join(outputDir, name))).mode & 0o777, 0o640, `${name} is 0640`);
    assert.equal((await stat(outputDir)).mode & 0o777, 0o750);
    assert.deepEqual(await readdir(keyMaterialDir), [], 'the transient key file and key_info are gone');
    assert.deepEqual((await readdir(join(outputDir, '..'))).sort(), ['v0'], 'no temp directory left');

    // Without the key the segments are noise; with it, ffmpeg gets every frame back in order.
    const raw = await readFile(join(outputDir, 'seg_000.ts'));
    let syncBytes = 0;
    for (let i = 0; i < raw.length; i += 188) if (raw[i] === 0x47) syncBytes += 1;
    assert.ok(syncBytes < raw.length / 188 / 10, 'segments are not plain MPEG-TS (whose every 188-byte packet starts with 0x47)');
    servedKey = result.contentKey;
    servedDir = outputDir;
    const decoded = await decodeAll(`${base}/playlist.m3u8`);
    assert.deepEqual(decoded, Array.from({ length: FRAMES }, (_, i) => i));
    servedKey = Buffer.alloc(16);
    await assert.rejects(decodeAll(`${base}/playlist.m3u8`), 'a wrong key does not decode');
  });

  it('is idempotent: a valid output is left as it is', async () => {
    const outputDir = join(dir, 'streamable', 'processed', 'hls', 'video-1', 'key-1', 'v0');
    const before = await stat(join(outputDir, 'seg_000.ts'));
    const again = await materializeHls(tools, { sourcePlaintextPath: source, outputDir, keyMaterialDir: join(dir, 'temp', 'k'), keyUri: `${base}/key`, segmentBaseUrl: `${base}/seg/`, threads: 1 });
    assert.equal(again.status, 'already_ready');
    assert.equal(again.segmentCount, 3);
    assert.equal((await stat(join(outputDir, 'seg_000.ts'))).mtimeMs, before.mtimeMs);
  });

  it('replaces a damaged earlier attempt, reusing a key the caller already stored', async () => {
    const outputDir = join(dir, 'streamable', 'raw', 'hls', 'video-2', 'key-2', 'v0');
    await mkdir(outputDir, { recursive: true });
    await writeFile(join(outputDir, HLS_PLAYLIST_NAME), '#EXTM3U\n');
    const contentKey = Buffer.alloc(16, 7);
    const result = await materializeHls(tools, { sourcePlaintextPath: source, outputDir, keyMaterialDir: join(dir, 'temp', 'k2'), keyUri: '/endoreg-api/media/videos/2/hls/key/key-2/', segmentBaseUrl: '/endoreg-api/media/videos/2/hls/segments/key-2/', threads: 1, contentKey, ivHex: 'ab'.repeat(16) });
    assert.equal(result.status, 'materialized');
    assert.ok(result.status === 'materialized' && result.contentKey.equals(contentKey));
    assert.match(await readFile(join(outputDir, HLS_PLAYLIST_NAME), 'utf8'), /\/endoreg-api\/media\/videos\/2\/hls\/segments\/key-2\/seg_000\.ts/);
    assert.deepEqual((await readdir(join(outputDir, '..'))).sort(), ['v0']);
  });

  it('on a hanging ffmpeg: stops it, keeps no key file, temp dir or output', async () => {
    const fake = join(dir, 'fake-ffmpeg');
    await writeFile(fake, '#!/bin/sh\nsleep 300\n');
    await chmod(fake, 0o755);
    const outputDir = join(dir, 'streamable', 'processed', 'hls', 'video-3', 'key-3', 'v0');
    const keyMaterialDir = join(dir, 'temp', 'hls_key_material', '3');
    await assert.rejects(
      materializeHls({ ...tools, ffmpeg: fake, idleTimeoutSeconds: 1 }, { sourcePlaintextPath: source, outputDir, keyMaterialDir, keyUri: '/k', segmentBaseUrl: '/s/', threads: 1 }),
      (e: unknown) => e instanceof MediaToolError && e.code === 'idle_timeout',
    );
    assert.deepEqual(await readdir(keyMaterialDir), []);
    assert.deepEqual(await readdir(join(outputDir, '..')), []);
  });

  it('on unreadable input: fails with ffmpeg’s reason and leaves nothing', async () => {
    const bad = join(dir, 'bad.mp4');
    await writeFile(bad, 'not a video');
    const outputDir = join(dir, 'streamable', 'processed', 'hls', 'video-4', 'key-4', 'v0');
    const keyMaterialDir = join(dir, 'temp', 'hls_key_material', '4');
    await assert.rejects(
      materializeHls(tools, { sourcePlaintextPath: bad, outputDir, keyMaterialDir, keyUri: '/k', segmentBaseUrl: '/s/', threads: 1 }),
      (e: unknown) => e instanceof MediaToolError && e.code === 'exit_code' && /Invalid data/i.test(e.detail),
    );
    assert.deepEqual(await readdir(keyMaterialDir), []);
    assert.deepEqual(await readdir(join(outputDir, '..')), []);
  });
});

/** What a player does: fetch playlist, key and segments over HTTP, decrypt, decode; returns the frame numbers shown. */
async function decodeAll(url: string): Promise<number[]> {
  const { stdout } = await runTool({
    tool: 'ffmpeg',
    command: 'ffmpeg',
    args: ['-hide_banner', '-nostdin', '-v', 'error', '-xerror', '-i', url, '-map', '0:v:0', '-vf', 'format=gray', '-fps_mode', 'passthrough', '-f', 'rawvideo', 'pipe:1'],
    env: tools.baseEnv,
    totalTimeoutSeconds: 120,
    idleTimeoutSeconds: 60,
    captureStdout: true,
  });
  const frameBytes = 320 * 64;
  return Array.from({ length: stdout.length / frameBytes }, (_, i) => readFrameNumber(stdout.subarray(i * frameBytes, (i + 1) * frameBytes), 320));
}
