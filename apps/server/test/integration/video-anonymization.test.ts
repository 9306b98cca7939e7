// Proof for the video processing core: the synthetic demo video's burned-in patient overlay is
// read back by OCR with the preset from the database, and after the safe mask plus the overlay
// mask no frame of the processed video shows any of it, nor does its metadata.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { z } from 'zod';
import { mediaToolsFromSettings, probeVideo, runTool, type MediaTools, type VideoProbe } from '../../src/adapters/ffmpeg/index.js';
import { TesseractOcr } from '../../src/adapters/ocr/index.js';
import { CentersService } from '../../src/features/centers/index.js';
import { findProcessorGeometry, fold, maskVideo, readOverlayMetadata, sensitiveMetaProposal, type MaskVideoResult, type ProcessorGeometry } from '../../src/features/anonymization/index.js';
import { KnowledgeBaseService } from '../../src/features/knowledge-base/index.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { runCliProcess } from '../helpers/processes.js';

const manifestSchema = z.object({
  fictitious: z.literal(true),
  processor: z.string(),
  videos: z.array(z.object({ file: z.string(), width: z.number(), height: z.number() })),
  patient: z.object({ lastName: z.string(), firstName: z.string(), dob: z.string() }),
  examination: z.object({ caseNumber: z.string() }),
});
type Manifest = z.infer<typeof manifestSchema>;

let work: string;
let tools: MediaTools;
let manifest: Manifest;
let video: string;
let probe: VideoProbe;

/** Identifier spellings that must not be readable: folded, and with umlauts simply dropped (a common OCR result). */
function needles(m: Manifest): string[] {
  const [y, mo, d] = m.patient.dob.split('-') as [string, string, string];
  const names = [...m.patient.lastName.split(/[-\s]+/), m.patient.firstName].filter((n) => n.length >= 4);
  const spellings = names.flatMap((n) => [fold(n), n.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')]);
  return [...new Set([...spellings.map((s) => s.replace(/[^a-z]/g, '')), `${d}${mo}${y}`, `${d}${mo}${y.slice(2)}`])];
}

function leaked(text: string, m: Manifest): string[] {
  const flat = fold(text).replace(/[^a-z0-9]/g, '');
  return needles(m).filter((n) => flat.includes(n));
}

/**
 * OCR of the overlay side of every listed frame (everything left of the endoscope image,
 * which holds all overlay rectangles), as sparse text; returns the text per frame.
 */
async function ocrOverlaySide(path: string, frameCount: number, region: { x: number; y: number; width: number; height: number }, dir: string, everyNth = 1): Promise<string[]> {
  const { stdout } = await runTool({
    tool: 'ffmpeg',
    command: tools.ffmpeg,
    args: ['-hide_banner', '-nostdin', '-v', 'error', '-i', path, '-map', '0:v:0', '-vf', `select='not(mod(n,${everyNth}))',crop=${region.width}:${region.height}:${region.x}:${region.y},format=gray`, '-fps_mode', 'passthrough', '-f', 'rawvideo', 'pipe:1'],
    env: tools.baseEnv,
    totalTimeoutSeconds: 300,
    idleTimeoutSeconds: 60,
    captureStdout: true,
  });
  const size = region.width * region.height;
  const count = stdout.length / size;
  assert.equal(count, Math.ceil(frameCount / everyNth), 'every selected frame decoded');
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  let brightest = 0;
  for (let i = 0; i < count; i += 1) {
    const pixels = stdout.subarray(i * size, (i + 1) * size);
    for (const p of pixels) if (p > brightest) brightest = p;
    const file = join(dir, `frame-${i}.png`);
    await sharp(pixels, { raw: { width: region.width, height: region.height, channels: 1 } }).negate({ alpha: false }).png({ compressionLevel: 1 }).toFile(file);
    files.push(file);
  }
  const results = await new TesseractOcr(tools, { workDir: dir }).recognize(files, { layout: 'sparse' });
  await rm(dir, { recursive: true, force: true });
  return results.map((r) => r.text);
}

describe('video processing proof on the synthetic demo video', () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'lx-video-proof-'));
    const env = { DJANGO_ENV: 'test', LX_ANNOTATE_ENCRYPTED_DATA_DIR: tempDataRoot() };
    tools = mediaToolsFromSettings(configFrom(env).settings.media, { searchPath: process.env.PATH ?? '/usr/bin:/bin' });
    const cli = runCliProcess(['demo', 'make', join(work, 'demo'), '--only', 'short'], env);
    assert.equal(cli.status, 0, cli.stderr);
    const printed = cli.stdout.trim().split('\n');
    assert.ok(printed.includes(join(work, 'demo', 'demo-short-1080p.mp4')) && printed.includes(join(work, 'demo', 'demo.json')), cli.stdout);
    manifest = manifestSchema.parse(JSON.parse(await readFile(join(work, 'demo', 'demo.json'), 'utf8')));
    video = join(work, 'demo', manifest.videos[0]!.file);
    probe = await probeVideo(tools, video);
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('the demo command wrote a 1080p Olympus CV-1500 layout video and names its fictitious identifiers', () => {
    assert.equal(manifest.processor, 'olympus_cv_1500');
    assert.deepEqual([probe.width, probe.height, probe.frameCount], [1920, 1080, 100]);
    assert.equal(manifest.patient.lastName, 'Müller-Lüdenscheidt');
    assert.equal(manifest.patient.firstName, 'Jürgen');
    assert.match(manifest.examination.caseNumber, /\d/);
  });

  for (const engine of ENGINES) {
    describe(`overlay OCR with the processor preset read from ${engine}`, () => {
      let t: TestDatabase;
      let geometry: ProcessorGeometry;
      before(async () => {
        t = await createTestDatabase(engine);
        await new KnowledgeBaseService(t.db, new CentersService(t.db)).loadBaseData({ defaultCenterKey: 'lx-annotate-center' });
        geometry = (await findProcessorGeometry(t.db, 'olympus_cv_1500'))!;
      });
      after(() => t.dispose());

      it('recovers last name, first name and date of birth with confidence', async () => {
        const result = await readOverlayMetadata({ tools, ocr: new TesseractOcr(tools) }, { videoPath: video, frameIndex: probe.frameIndex, frameWidth: probe.width, frameHeight: probe.height, geometry, tempRoot: join(work, `ocr-${engine}`) });
        const c = result.candidates;
        assert.equal(result.sampledFrames.length, 24);
        assert.equal(c.patient_last_name?.value, manifest.patient.lastName);
        assert.equal(c.patient_first_name?.value, manifest.patient.firstName);
        assert.equal(c.patient_dob?.value, manifest.patient.dob);
        for (const field of ['patient_last_name', 'patient_first_name', 'patient_dob'] as const) {
          assert.ok(c[field]!.confidence >= 0.6, `${field} confidence ${c[field]!.confidence}`);
          assert.ok(c[field]!.agreeingFrames >= 18, `${field} agreed in ${c[field]!.agreeingFrames} of 24 frames`);
        }
        assert.equal(c.endoscope_sn?.value, '2845117');
        const proposal = sensitiveMetaProposal(c);
        assert.deepEqual(
          [proposal.values.patient_last_name, proposal.values.patient_first_name, proposal.values.patient_dob],
          [manifest.patient.lastName, manifest.patient.firstName, manifest.patient.dob],
        );
        assert.ok(proposal.fieldConfidence.patient_dob! >= 0.6);
        assert.deepEqual(await readdir(join(work, `ocr-${engine}`)), [], 'crops of patient data removed');
      });

      it('follows an operator-edited preset in the database', async () => {
        const rois = { ...geometry.overlayRois, patient_dob: { x: 0, y: 500, width: 550, height: 45 } };
        await t.db.updateTable('endoscopy_processors').set({ overlay_rois: JSON.stringify(rois), geometry_source: 'edited' }).where('name', '=', 'olympus_cv_1500').execute();
        const edited = (await findProcessorGeometry(t.db, 'olympus_cv_1500'))!;
        assert.equal(edited.geometrySource, 'edited');
        const result = await readOverlayMetadata({ tools, ocr: new TesseractOcr(tools) }, { videoPath: video, frameIndex: probe.frameIndex, frameWidth: probe.width, frameHeight: probe.height, geometry: edited, tempRoot: join(work, `ocr2-${engine}`), maxFrames: 4 });
        assert.equal(result.candidates.patient_dob, undefined, 'the edited (empty) rectangle is read, not the built-in one');
        assert.equal(result.candidates.patient_last_name?.value, manifest.patient.lastName);
      });
    });
  }

  describe('processed video (safe mask + overlay mask)', () => {
    let masked: MaskVideoResult;
    let output: string;
    const overlaySide = { x: 0, y: 0, width: 550, height: 1080 };
    before(async () => {
      output = join(work, 'processed', 'processed.mp4');
      const t = await createTestDatabase('sqlite');
      try {
        await new KnowledgeBaseService(t.db, new CentersService(t.db)).loadBaseData({ defaultCenterKey: 'lx-annotate-center' });
        const geometry = (await findProcessorGeometry(t.db, 'olympus_cv_1500'))!;
        masked = await maskVideo(tools, { inputPath: video, outputPath: output, probe, geometry, strategy: { kind: 'processor_region' }, encoderPreset: 'ultrafast' });
      } finally {
        await t.dispose();
      }
    });

    it('the OCR check does find the identifiers in the original (it can fail)', async () => {
      const texts = await ocrOverlaySide(video, probe.frameCount, overlaySide, join(work, 'ocr-original'), 25);
      for (const text of texts) assert.ok(leaked(text, manifest).length >= 3, `original frame OCR found ${JSON.stringify(leaked(text, manifest))}`);
    });

    it('OCR of every frame of the processed video finds none of the identifiers', async () => {
      assert.equal(masked.output.frameCount, probe.frameCount);
      const texts = await ocrOverlaySide(output, masked.output.frameCount, overlaySide, join(work, 'ocr-processed'));
      assert.equal(texts.length, probe.frameCount);
      const hits = texts.flatMap((text, frame) => leaked(text, manifest).map((n) => `frame ${frame}: ${n}`));
      assert.deepEqual(hits, []);
    });

    it('the overlay side is black in every frame and the endoscope image is kept', async () => {
      const { stdout } = await runTool({ tool: 'ffmpeg', command: tools.ffmpeg, args: ['-hide_banner', '-nostdin', '-v', 'error', '-i', output, '-vf', 'scale=480:270:flags=area,format=gray', '-f', 'rawvideo', 'pipe:1'], env: tools.baseEnv, totalTimeoutSeconds: 120, idleTimeoutSeconds: 60, captureStdout: true });
      const size = 480 * 270;
      for (let f = 0; f < stdout.length / size; f += 1) {
        const frame = stdout.subarray(f * size, (f + 1) * size);
        for (let y = 0; y < 270; y += 1) for (let x = 0; x < 137; x += 1) assert.ok(frame[y * 480 + x]! <= 24, `frame ${f} pixel ${x},${y} is ${frame[y * 480 + x]}`);
        assert.ok(frame[135 * 480 + 306]! > 60, 'centre of the endoscope image is not black');
      }
    });

    it('ffprobe shows no metadata, chapters or extra streams', async () => {
      const { stdout } = await runTool({ tool: 'ffprobe', command: tools.ffprobe, args: ['-v', 'error', '-show_format', '-show_streams', '-show_chapters', '-of', 'json', output], env: tools.baseEnv, totalTimeoutSeconds: 30, idleTimeoutSeconds: 30, captureStdout: true });
      const info = z
        .object({ streams: z.array(z.object({ codec_type: z.string(), tags: z.record(z.string(), z.string()).default({}) })), chapters: z.array(z.unknown()), format: z.object({ tags: z.record(z.string(), z.string()).default({}) }) })
        .parse(JSON.parse(stdout.toString()));
      assert.deepEqual(info.streams.map((s) => s.codec_type), ['video']);
      assert.deepEqual(info.chapters, []);
      assert.deepEqual(Object.keys(info.format.tags).sort(), ['compatible_brands', 'major_brand', 'minor_version']);
      assert.deepEqual(Object.keys(info.streams[0]!.tags).sort(), ['encoder', 'handler_name', 'language', 'vendor_id']);
      assert.deepEqual(leaked(JSON.stringify(info), manifest), []);
    });
  });
});
