import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { MediaToolError } from './errors.js';
import { readGrayFrames } from './extract.js';
import { alignInward, alignOutward, maskFilterChain, renderMaskedVideo } from './mask-render.js';
import { probeVideo } from './probe.js';
import { runTool } from './run-tool.js';
import { makeMetadataRichSource, makeNumberedVideo, readFrameNumber, testTools } from './testdata/fixtures.js';

const tools = testTools();
let dir: string;

const ffprobeSchema = z.object({
  streams: z.array(z.object({ codec_type: z.string(), tags: z.record(z.string(), z.string()).optional() })),
  chapters: z.array(z.unknown()),
  format: z.object({ tags: z.record(z.string(), z.string()).optional() }),
});

async function describeFile(path: string) {
  const { stdout } = await runTool({ tool: 'ffprobe', command: 'ffprobe', args: ['-v', 'error', '-show_streams', '-show_chapters', '-show_format', '-of', 'json', path], env: tools.baseEnv, totalTimeoutSeconds: 30, idleTimeoutSeconds: 30, captureStdout: true });
  return ffprobeSchema.parse(JSON.parse(stdout.toString()));
}

describe('mask geometry', () => {
  it('grows masks and shrinks the kept image to even edges (4:2:0 colour blocks)', () => {
    assert.deepEqual(alignOutward({ x: 3, y: 5, width: 10, height: 7 }, 100, 100), { x: 2, y: 4, width: 12, height: 8 });
    assert.deepEqual(alignInward({ x: 3, y: 5, width: 10, height: 7 }, 100, 100), { x: 4, y: 6, width: 8, height: 6 });
    assert.deepEqual(alignOutward({ x: 95, y: 0, width: 10, height: 10 }, 99, 100), { x: 94, y: 0, width: 5, height: 10 });
  });

  it('builds one chain: frame removal first (decoded frame numbers), then the kept image, then boxes', () => {
    const chain = maskFilterChain({ frameWidth: 1920, frameHeight: 1080, keepRect: { x: 550, y: 0, width: 1350, height: 1080 }, blackRects: [{ x: 0, y: 41, width: 549, height: 45 }], removeFrames: [{ startFrame: 10, endFrame: 10 }, { startFrame: 30, endFrame: 35 }] });
    assert.equal(
      chain,
      "select='not(between(n,10,10)+between(n,30,35))',crop=1350:1080:550:0,pad=1920:1080:550:0:color=black,drawbox=x=0:y=40:w=550:h=46:color=black:t=fill,format=yuv420p",
    );
    assert.equal(maskFilterChain({ frameWidth: 64, frameHeight: 64, keepRect: { x: 0, y: 0, width: 64, height: 64 }, blackRects: [], removeFrames: [] }), 'format=yuv420p');
    assert.throws(() => maskFilterChain({ frameWidth: 64, frameHeight: 64, keepRect: { x: 10, y: 10, width: 1, height: 1 }, blackRects: [], removeFrames: [] }), RangeError);
  });
});

describe('renderMaskedVideo', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lx-mask-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes no title, comment, creation time, chapter, subtitle, attachment or audio of the source', async () => {
    const source = await makeMetadataRichSource(dir);
    const before = await describeFile(source);
    // The fixture really carries everything the output must not (so this test can fail).
    assert.deepEqual(before.streams.map((s) => s.codec_type).sort(), ['attachment', 'audio', 'subtitle', 'video']);
    assert.equal(before.chapters.length, 1);
    assert.match(JSON.stringify(before.format.tags), /Müller-Lüdenscheidt/);
    assert.match(JSON.stringify(before.format.tags), /creation_time/i);

    const output = join(dir, 'out', 'masked.mp4');
    await renderMaskedVideo(tools, { input: source, output, spec: { frameWidth: 320, frameHeight: 240, keepRect: { x: 40, y: 0, width: 240, height: 240 }, blackRects: [], removeFrames: [] }, preset: 'ultrafast' });
    const after = await describeFile(output);
    assert.deepEqual(after.streams.map((s) => s.codec_type), ['video']);
    assert.equal(after.chapters.length, 0);
    const tags = JSON.stringify([after.format.tags, after.streams.map((s) => s.tags)]);
    assert.doesNotMatch(tags, /title|comment|creation_time|Müller|Jürgen|1958|FN-2024/i);
    const bytes = (await readFile(output)).toString('latin1');
    assert.doesNotMatch(bytes, /M\xc3\xbcller|J\xc3\xbcrgen|03\.07\.1958|FN-2024|Lavf\d/, 'nothing of it in the file bytes either');
    assert.deepEqual((await readdir(join(dir, 'out'))).filter((n) => n !== 'masked.mp4'), [], 'no temp file left');
  });

  it('keeps audio only when asked', async () => {
    const source = join(dir, 'rich-source.mkv');
    const output = join(dir, 'with-audio.mp4');
    await renderMaskedVideo(tools, { input: source, output, keepAudio: true, spec: { frameWidth: 320, frameHeight: 240, blackRects: [], removeFrames: [] }, preset: 'ultrafast' });
    assert.deepEqual((await describeFile(output)).streams.map((s) => s.codec_type), ['video', 'audio']);
  });

  it('removes exactly the listed frames, keeps the others in order, and blacks out masked areas', async () => {
    const source = join(dir, 'numbered.mp4');
    await makeNumberedVideo(source, { frames: 60, width: 320, height: 64, background: 'dimgray' });
    const output = join(dir, 'removed.mp4');
    await renderMaskedVideo(tools, {
      input: source,
      output,
      spec: { frameWidth: 320, frameHeight: 64, keepRect: { x: 0, y: 0, width: 288, height: 64 }, blackRects: [{ x: 0, y: 40, width: 100, height: 10 }], removeFrames: [{ startFrame: 10, endFrame: 10 }, { startFrame: 25, endFrame: 25 }, { startFrame: 30, endFrame: 35 }] },
      preset: 'ultrafast',
    });
    const probe = await probeVideo(tools, output);
    assert.equal(probe.frameCount, 52);
    const all = Array.from({ length: 52 }, (_, i) => i);
    const frames = await readGrayFrames(tools, { path: output, frameNumbers: all, frameIndex: probe.frameIndex, width: 320, height: 64 });
    const shown = all.map((i) => readFrameNumber(frames.get(i)!, 320));
    const expected = Array.from({ length: 60 }, (_, i) => i).filter((n) => n !== 10 && n !== 25 && !(n >= 30 && n <= 35));
    assert.deepEqual(shown, expected);
    const first = frames.get(0)!;
    assert.ok(first[45 * 320 + 50]! < 30, 'masked rectangle is black');
    assert.ok(first[45 * 320 + 150]! > 80, 'outside the mask the gray background stays');
    assert.ok(first[30 * 320 + 300]! < 30, 'outside the kept image is black');
    // Removed frames leave a gap in time, so the output stays aligned with the original.
    assert.ok(Math.abs(probe.frameIndex.secondsOf(10) - 11 * 0.04) < 1e-6);
  });

  it('fails cleanly (no output, no temp file) when ffmpeg fails', async () => {
    const output = join(dir, 'fail', 'never.mp4');
    await assert.rejects(
      renderMaskedVideo(tools, { input: join(dir, 'rich-source.mkv'), output, spec: { frameWidth: 320, frameHeight: 240, blackRects: [], removeFrames: [] }, preset: 'no-such-preset' }),
      (e: unknown) => e instanceof MediaToolError && e.code === 'exit_code',
    );
    assert.deepEqual(await readdir(join(dir, 'fail')), []);
  });
});
