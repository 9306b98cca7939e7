import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Invalid } from '../../shared/errors.js';
import { PROCESSORS } from '../knowledge-base/index.js';
import { fitGeometryToVideo, type ProcessorGeometry } from './processor-geometry.js';
import { parseFrameList, planVideoMask } from './video-masking.js';

const olympus: ProcessorGeometry = PROCESSORS.find((p) => p.name === 'olympus_cv_1500')!;

describe('parseFrameList', () => {
  it('parses single frames and inclusive ranges, merging overlaps', () => {
    assert.deepEqual(parseFrameList('10,25,30-35', 100), [
      { startFrame: 10, endFrame: 10 },
      { startFrame: 25, endFrame: 25 },
      { startFrame: 30, endFrame: 35 },
    ]);
    assert.deepEqual(parseFrameList(' 5 - 7 , 6,8, 0 ', 9), [{ startFrame: 0, endFrame: 0 }, { startFrame: 5, endFrame: 8 }]);
  });

  it('refuses malformed, reversed and out-of-range entries with a message naming them', () => {
    assert.throws(() => parseFrameList('', 10), (e: unknown) => e instanceof Invalid && /leer/.test(e.message));
    assert.throws(() => parseFrameList('1,,2', 10), /Ungültiger Eintrag/);
    assert.throws(() => parseFrameList('1;2', 10), /Ungültiger Eintrag/);
    assert.throws(() => parseFrameList('-3', 10), /Ungültiger Eintrag/);
    assert.throws(() => parseFrameList('2.5', 10), /Ungültiger Eintrag/);
    assert.throws(() => parseFrameList('9-3', 10), /Ende kleiner als der Anfang/);
    assert.throws(() => parseFrameList('3,10', 10), /Bild 10 liegt außerhalb/);
    assert.throws(() => parseFrameList(Array.from({ length: 10_001 }, () => '1').join(','), 10), /mehr als 10000/);
  });
});

describe('planVideoMask', () => {
  it('safe mask: keeps only the preset endoscope image', () => {
    const plan = planVideoMask({ frameWidth: 1920, frameHeight: 1080, frameCount: 100, geometry: olympus, strategy: { kind: 'safe' } });
    assert.deepEqual(plan.keepRect, { x: 550, y: 0, width: 1350, height: 1080 });
    assert.equal(plan.keepRectSource, 'preset');
    assert.deepEqual(plan.blackRects, []);
    assert.equal(plan.remainingFrameCount, 100);
  });

  it('processor_region: adds the preset overlay rectangles, or custom ones inside the image', () => {
    const preset = planVideoMask({ frameWidth: 1920, frameHeight: 1080, frameCount: 100, geometry: olympus, strategy: { kind: 'processor_region' } });
    assert.equal(preset.blackRects.length, Object.keys(olympus.overlayRois).length);
    const custom = planVideoMask({ frameWidth: 1920, frameHeight: 1080, frameCount: 100, geometry: olympus, strategy: { kind: 'processor_region', customRects: [{ x: 600, y: 900, width: 300, height: 100 }] } });
    assert.deepEqual(custom.blackRects, [{ x: 600, y: 900, width: 300, height: 100 }]);
    assert.throws(
      () => planVideoMask({ frameWidth: 1920, frameHeight: 1080, frameCount: 100, geometry: olympus, strategy: { kind: 'processor_region', customRects: [{ x: 1800, y: 0, width: 300, height: 10 }] } }),
      /nicht vollständig im Videobild/,
    );
  });

  it('uses the detected image when no preset fits, and refuses (fails closed) with neither', () => {
    const detected = planVideoMask({ frameWidth: 1000, frameHeight: 700, frameCount: 10, detectedImage: { x: 300, y: 0, width: 700, height: 700 }, strategy: { kind: 'safe' } });
    assert.equal(detected.keepRectSource, 'detected');
    assert.throws(() => planVideoMask({ frameWidth: 1000, frameHeight: 700, frameCount: 10, strategy: { kind: 'safe' } }), (e: unknown) => e instanceof Invalid && /kein Prozessor-Preset/.test(e.message));
    assert.throws(() => planVideoMask({ frameWidth: 1000, frameHeight: 700, frameCount: 10, detectedImage: { x: 300, y: 0, width: 700, height: 700 }, strategy: { kind: 'processor_region' } }), /Preset oder ein eigener Bereich/);
  });

  it('frame removal: manual lists and detector lists, never every frame', () => {
    const manual = planVideoMask({ frameWidth: 1920, frameHeight: 1080, frameCount: 100, geometry: olympus, strategy: { kind: 'safe' }, removal: { mode: 'manual', spec: '10,25,30-35' } });
    assert.equal(manual.removedFrameCount, 8);
    assert.equal(manual.remainingFrameCount, 92);
    const auto = planVideoMask({ frameWidth: 1920, frameHeight: 1080, frameCount: 100, geometry: olympus, strategy: { kind: 'safe' }, removal: { mode: 'automatic', frames: [4, 3, 5, 90] } });
    assert.deepEqual(auto.removeFrames, [{ startFrame: 3, endFrame: 5 }, { startFrame: 90, endFrame: 90 }]);
    assert.throws(() => planVideoMask({ frameWidth: 1920, frameHeight: 1080, frameCount: 100, geometry: olympus, strategy: { kind: 'safe' }, removal: { mode: 'automatic', frames: [100] } }), /außerhalb/);
    assert.throws(() => planVideoMask({ frameWidth: 1920, frameHeight: 1080, frameCount: 5, geometry: olympus, strategy: { kind: 'safe' }, removal: { mode: 'manual', spec: '0-4' } }), /alle Bilder/);
  });
});

describe('fitGeometryToVideo', () => {
  it('keeps the preset at its own size, scales it for the same layout at another size, refuses other shapes', () => {
    assert.equal(fitGeometryToVideo(olympus, 1920, 1080), olympus);
    const hd = fitGeometryToVideo(olympus, 1280, 720)!;
    assert.deepEqual(hd.endoscopeImage, { x: 367, y: 0, width: 899, height: 720 });
    assert.deepEqual(hd.overlayRois.patient_last_name, { x: 0, y: 26, width: 367, height: 31 });
    assert.equal(fitGeometryToVideo(olympus, 1000, 700), undefined);
    assert.equal(fitGeometryToVideo(olympus, 720, 576), undefined);
  });
});
