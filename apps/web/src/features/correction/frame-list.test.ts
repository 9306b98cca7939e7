import { describe, expect, it } from 'vitest';
import { parseFrameList } from './frame-list';
import { checkRoi, roiFromDrag } from './roi';

describe('manual frame list', () => {
  it('accepts single frames and inclusive ranges with spaces, merged and counted', () => {
    expect(parseFrameList('10,25,30-35', 100)).toEqual({ ok: true, frames: 8, ranges: [{ startFrame: 10, endFrame: 10 }, { startFrame: 25, endFrame: 25 }, { startFrame: 30, endFrame: 35 }] });
    expect(parseFrameList(' 5 - 7 , 8, 0 ', 100)).toEqual({ ok: true, frames: 5, ranges: [{ startFrame: 0, endFrame: 0 }, { startFrame: 5, endFrame: 8 }] });
  });

  it('refuses bad syntax with a German message naming the entry', () => {
    const bad = (spec: string): string => {
      const r = parseFrameList(spec, 100);
      if (r.ok) throw new Error(`accepted ${spec}`);
      return r.error;
    };
    expect(bad('')).toMatch(/Bitte die zu entfernenden Bilder angeben/);
    expect(bad('10;25')).toBe('Ungültiger Eintrag „10;25“ in der Bildliste (erwartet z. B. 10,25,30-35).');
    expect(bad('1,,2')).toMatch(/leeren Eintrag/);
    expect(bad('3,')).toMatch(/leeren Eintrag/);
    expect(bad('-4')).toMatch(/Ungültiger Eintrag „-4“/);
    expect(bad('1.5')).toMatch(/Ungültiger Eintrag/);
    expect(bad('40-30')).toBe('Im Bereich „40-30“ ist das Ende kleiner als der Anfang.');
    expect(bad('99,100')).toBe('Bild 100 liegt außerhalb des Videos (Bilder 0–99).');
    expect(bad('0-99')).toMatch(/nicht alle Bilder/);
  });

  it('checks only the syntax while the frame count is unknown', () => {
    expect(parseFrameList('100000', null)).toMatchObject({ ok: true, frames: 1 });
    expect(parseFrameList('a', null)).toMatchObject({ ok: false });
  });
});

describe('custom mask region', () => {
  it('scales a drag on the shown preview to video pixels, any direction, clamped to the frame', () => {
    // 1920×1080 video shown 640 px wide: factor 3
    expect(roiFromDrag(10, 20, 110, 70, 640, 1920, 1080)).toEqual({ x: 30, y: 60, width: 300, height: 150 });
    expect(roiFromDrag(110, 70, 10, 20, 640, 1920, 1080)).toEqual({ x: 30, y: 60, width: 300, height: 150 });
    expect(roiFromDrag(-50, -5, 700, 400, 640, 1920, 1080)).toEqual({ x: 0, y: 0, width: 1920, height: 1080 });
    expect(roiFromDrag(10, 10, 11, 50, 640, 1920, 1080)).toBeUndefined();
  });

  it('validates typed values in whole pixels inside the frame, with German messages', () => {
    expect(checkRoi({ x: '0', y: '12', width: '300', height: 150 }, 1920, 1080)).toEqual({ ok: true, roi: { x: 0, y: 12, width: 300, height: 150 } });
    expect(checkRoi({ x: '', y: '0', width: '1', height: '1' }, 1920, 1080)).toEqual({ ok: false, error: 'x: bitte eine ganze Zahl ≥ 0 eingeben.' });
    expect(checkRoi({ x: '0', y: '0', width: '2.5', height: '1' }, 1920, 1080)).toEqual({ ok: false, error: 'Breite: bitte eine ganze Zahl ≥ 0 eingeben.' });
    expect(checkRoi({ x: '0', y: '0', width: '0', height: '1' }, 1920, 1080)).toMatchObject({ ok: false, error: /mindestens 1 Pixel/ });
    expect(checkRoi({ x: '1800', y: '0', width: '200', height: '10' }, 1920, 1080)).toMatchObject({ ok: false, error: /rechten Bildrand/ });
    expect(checkRoi({ x: '0', y: '1000', width: '20', height: '100' }, 1920, 1080)).toMatchObject({ ok: false, error: /unteren Bildrand/ });
    expect(checkRoi({ x: '5000', y: '0', width: '20', height: '100' }, null, null)).toMatchObject({ ok: true });
  });
});
