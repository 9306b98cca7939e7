import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeVideo, type VideoProbe } from '../../adapters/ffmpeg/index.js';
import { ffmpeg, testTools } from '../../adapters/ffmpeg/testdata/fixtures.js';
import { TesseractOcr } from '../../adapters/ocr/index.js';
import { DEMO_IDENTITY } from '../../demo/demo-identity.js';
import { makeDemoVideo } from '../../demo/demo-video.js';
import { PROCESSORS } from '../knowledge-base/index.js';
import { maskVideo } from './video-anonymizer.js';
import { runVideoReleaseGate } from './video-release-gate.js';

const tools = testTools();
const olympus = PROCESSORS.find((p) => p.name === 'olympus_cv_1500')!;
const identifiers = [
  { field: 'patient_last_name' as const, value: DEMO_IDENTITY.patient.lastName },
  { field: 'patient_first_name' as const, value: DEMO_IDENTITY.patient.firstName },
  { field: 'patient_dob' as const, value: DEMO_IDENTITY.patient.dob },
];
const overlayRegions = Object.values(olympus.overlayRois);

describe('video release gate', () => {
  let dir: string;
  let original: string;
  let originalProbe: VideoProbe;
  let masked: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lx-video-gate-'));
    original = join(dir, 'demo.mp4');
    await makeDemoVideo(tools, { width: 1920, height: 1080, durationSeconds: 1 }, original);
    originalProbe = await probeVideo(tools, original);
    masked = join(dir, 'masked.mp4');
    await maskVideo(tools, { inputPath: original, outputPath: masked, probe: originalProbe, geometry: olympus, strategy: { kind: 'processor_region' }, encoderPreset: 'ultrafast' });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const gate = async (path: string) =>
    runVideoReleaseGate(tools, new TesseractOcr(tools, { workDir: dir }), { path, probe: await probeVideo(tools, path), identifiers, overlayRegions, tempRoot: join(dir, 'gate') });

  test('blocks the unmasked original: the burned-in name and date of birth are found by OCR', async () => {
    const result = await gate(original);
    assert.equal(result.status, 'blocked');
    const fields = new Set(result.findings.filter((f) => f.location.startsWith('ocr-')).map((f) => f.field));
    for (const field of ['patient_last_name', 'patient_first_name', 'patient_dob']) assert.ok(fields.has(field as never), `${field} found: ${JSON.stringify(result.findings)}`);
    assert.ok(!JSON.stringify(result).includes(DEMO_IDENTITY.patient.lastName), 'the result names fields and places, never values');
  });

  test('passes the masked output', async () => {
    const result = await gate(masked);
    assert.equal(result.status, 'passed', JSON.stringify(result.reasons));
    assert.equal(result.checked_sources['ocr-overlay'], 24);
  });

  test('blocks a name hidden in container metadata, and an extra stream', async () => {
    const tagged = join(dir, 'tagged.mp4');
    await ffmpeg(['-i', masked, '-f', 'lavfi', '-i', 'sine=duration=1', '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-metadata', `title=Patient ${DEMO_IDENTITY.patient.firstName} ${DEMO_IDENTITY.patient.lastName}`, tagged]);
    const result = await gate(tagged);
    assert.equal(result.status, 'blocked');
    assert.ok(result.findings.some((f) => f.location === 'container-metadata' && f.field === 'patient_last_name'));
    assert.ok(result.reasons.some((r) => /weitere Ströme \(audio\)/.test(r)), JSON.stringify(result.reasons));
  });
});
