import { describe, expect, it } from 'vitest';
import { describeRun, durationText } from './history-text';

const run = (status: string, config: Record<string, unknown>, errorDetail = '', progressStep = '') => ({ status: status as 'running', config, errorDetail, progressStep });

describe('processing history texts', () => {
  it('describes what a run did from its (camelCased) config, or its German error', () => {
    expect(describeRun(run('succeeded', { strategy: 'processor_region', customRegions: [], removal: { mode: 'manual', spec: '5,7-9' }, processor: null }))).toBe('Bilder 5,7-9');
    expect(describeRun(run('succeeded', { strategy: 'processor_region', customRegions: [{ x: 0, y: 0, width: 16, height: 8 }], removal: null, processor: 'olympus_cv_190' }))).toBe('Preset olympus_cv_190, eigener Bereich 16×8 @ 0,0');
    expect(describeRun(run('failed', { removal: { spec: '1' } }, 'Der Endoskop-Bildbereich ist nicht sicher erkennbar.'))).toBe('Der Endoskop-Bildbereich ist nicht sicher erkennbar.');
    expect(describeRun(run('running', { processor: 'x' }, '', 'overlay_ocr'))).toBe('overlay_ocr');
    expect(describeRun(run('succeeded', { processor: null }, '', 'overlay_ocr'))).toBe('');
    expect(describeRun(run('succeeded', { removal: { spec: '1,'.repeat(30) } }))).toMatch(/^Bilder .{40}…$/);
    expect([durationText(null), durationText(2840)]).toEqual(['–', '2.8 s']);
  });
});
