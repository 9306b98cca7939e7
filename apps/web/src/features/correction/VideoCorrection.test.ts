import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import VideoCorrection from './VideoCorrection.vue';

/** The video correction panel with a scripted server: presets, detector refusal, region entry, frame list check. */
const NO_DETECTOR = 'Strategie nicht verfügbar: kein PHI-Detektor konfiguriert.';
const posts: unknown[] = [];
let detector = false;

beforeEach(() => {
  setActivePinia(createPinia());
  posts.length = 0;
  detector = false;
  document.cookie = 'csrftoken=tok';
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    const path = input.replace(/\?.*$/, '');
    let json: unknown = { detail: 'Nicht gefunden.' };
    let status = 200;
    if (init.method === 'POST') {
      posts.push(JSON.parse(String(init.body)));
      status = 202;
      json = { video_id: 5, task_id: 't', status: 'queued', message: 'Verarbeitung wurde gestartet.' };
    } else if (path.endsWith('/details/')) json = { id: 5, original_file_name: 'koloskopie.mp4', status: 'done_processing_anonymization', fps: 25, frame_count: 500, duration: 20, width: 1920, height: 1080, processing_locked: false };
    else if (path.endsWith('/processing-history/')) json = [];
    else if (path.endsWith('/anonymization/'))
      json = { video_id: 5, status: 'done_processing_anonymization', processing_locked: false, strategies: [{ name: 'processor_region', available: true, detail: '' }, { name: 'detector_assisted', available: detector, detail: detector ? 'PHI-Detektor schwärzt erkannte Bereiche.' : NO_DETECTOR }], device_presets: ['olympus_cv_1500', 'olympus_cv_190', 'pentax_epk_i7010', 'fujifilm_vp_4450hd'], processor_name: 'olympus_cv_190', has_anonymized_artifact: true };
    else status = 404;
    return new Response(JSON.stringify(json), { status, headers: { 'content-type': 'application/json' } });
  });
});
afterEach(() => vi.unstubAllGlobals());

async function setup() {
  const wrapper = mount(VideoCorrection, { props: { videoId: 5 }, global: { stubs: { HlsVideo: true } } });
  await flushPromises();
  return wrapper;
}

describe('VideoCorrection', () => {
  it('shows the file info, the four device presets with the video processor chosen, and the detector refusal', async () => {
    const w = await setup();
    expect(w.get('[data-testid="vc-info"]').text()).toContain('500');
    expect(w.get('[data-testid="vc-info"]').text()).toContain('25 fps');
    expect(w.findAll('[data-testid="preset"] option').map((o) => o.text())).toEqual(['olympus_cv_1500', 'olympus_cv_190', 'pentax_epk_i7010', 'fujifilm_vp_4450hd']);
    expect((w.get('[data-testid="preset"]').element as HTMLSelectElement).value).toBe('olympus_cv_190');
    expect(w.get('[data-testid="detector-refusal"]').text()).toBe(NO_DETECTOR);
    expect(w.findAll('input[type="radio"]').filter((r) => (r.element as HTMLInputElement).disabled)).toHaveLength(1);
    expect(w.findAll('button').find((b) => b.text() === 'Automatisch erkennen')!.attributes('disabled')).toBeDefined();
    await w.get('[data-testid="apply-mask"]').trigger('click');
    await flushPromises();
    expect(posts).toEqual([{ strategy: 'processor_region', region: { mode: 'device', device_name: 'olympus_cv_190' } }]);
  });

  it('takes a custom region drawn on the preview (scaled to video pixels) or typed, and checks it', async () => {
    const w = await setup();
    await w.get('input[value="custom"]').setValue(true);
    const img = w.get('[data-testid="frame-preview"]');
    expect(img.attributes('src')).toBe('/endoreg-api/media/videos/5/frames/0/stream/');
    Object.defineProperty(img.element, 'clientWidth', { value: 640 });
    const stage = img.element.parentElement!;
    const pointer = (type: string, x: number, y: number) => stage.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: y, bubbles: true }));
    pointer('pointerdown', 100, 50);
    pointer('pointermove', 10, 10);
    pointer('pointerup', 10, 10);
    await flushPromises();
    const value = (id: string) => (w.get(`[data-testid="roi-${id}"]`).element as HTMLInputElement).value;
    expect([value('x'), value('y'), value('width'), value('height')]).toEqual(['30', '30', '270', '120']);

    await w.get('[data-testid="roi-width"]').setValue('1900');
    expect(w.text()).toContain('Der Bereich reicht über den rechten Bildrand hinaus (Bildbreite 1920 px).');
    expect(w.get('[data-testid="apply-mask"]').attributes('disabled')).toBeDefined();
    await w.get('[data-testid="roi-width"]').setValue('300');
    await w.get('[data-testid="apply-mask"]').trigger('click');
    await flushPromises();
    expect(posts).toEqual([{ strategy: 'processor_region', region: { mode: 'custom', roi: { x: 30, y: 30, width: 300, height: 120 } } }]);
  });

  it('offers the PHI detector and automatic removal once the server has one', async () => {
    detector = true;
    const w = await setup();
    expect(w.find('[data-testid="detector-refusal"]').exists()).toBe(false);
    expect(w.findAll('button').find((b) => b.text() === 'Automatisch erkennen')!.attributes('disabled')).toBeUndefined();
    await w.get('[data-testid="strategy-detector"]').setValue(true);
    await w.get('[data-testid="apply-mask"]').trigger('click');
    await flushPromises();
    expect(posts).toEqual([{ strategy: 'detector_assisted' }]);
    // while that run is going, nothing else starts
    expect(w.get('[data-testid="apply-mask"]').attributes('disabled')).toBeDefined();
  });

  it('checks the frame list while typing and keeps the removal button off until it is valid', async () => {
    const w = await setup();
    const input = w.get('[data-testid="frame-list"]');
    await input.setValue('10,25,30-');
    expect(w.get('[data-testid="frame-list-error"]').text()).toBe('Ungültiger Eintrag „30-“ in der Bildliste (erwartet z. B. 10,25,30-35).');
    expect(w.get('[data-testid="remove-frames"]').attributes('disabled')).toBeDefined();
    await input.setValue('10,25,30-35');
    expect(w.find('[data-testid="frame-list-error"]').exists()).toBe(false);
    expect(w.text()).toContain('8 Bild(er) in 3 Bereich(en) werden entfernt.');
    await w.get('[data-testid="remove-frames"]').trigger('click');
    await flushPromises();
    expect(posts).toEqual([{ selection_method: 'manual', manual_frames: '10,25,30-35' }]);
    expect(w.get('[data-testid="vc-progress"]').text()).toContain('eingeplant');
    w.unmount();
  });
});
