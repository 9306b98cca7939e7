import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { SegmentDraft } from './segment-draft';
import Timeline from './Timeline.vue';
import { LANE_PX, RULER_PX } from './timeline-geometry';

// happy-dom has no layout: the canvas is 200 px wide (the component's minimum) at x = 0,
// so with 1000 frames one pixel is 5 frames.
const labels = [
  { id: 1, name: 'polyp' },
  { id: 2, name: 'outside' },
];
const laneY = (lane: number): number => RULER_PX + lane * LANE_PX + LANE_PX / 2;

function setup(readonly = false) {
  const draft = new SegmentDraft({ fps: 25, frameCount: 1000, minDurationSeconds: 1 }, [{ key: 's1', id: 1, labelId: 1, startFrame: 100, endFrame: 300 }]);
  const wrapper = mount(Timeline, { props: { draft, labels, currentFrame: 0, selectedKey: null, revision: 0, readonly } });
  const canvas = wrapper.get('canvas');
  const pointer = (type: string, x: number, y: number) => canvas.element.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: y, button: 0, pointerId: 1, bubbles: true }));
  return { draft, wrapper, pointer };
}

describe('Timeline', () => {
  it('drags a segment body to move it, snapped to frames, and reports one change', () => {
    const { draft, wrapper, pointer } = setup();
    pointer('pointerdown', 40, laneY(0)); // frame 200, inside s1
    pointer('pointermove', 50.3, laneY(0));
    pointer('pointerup', 50.3, laneY(0));
    expect(draft.get('s1')).toMatchObject({ startFrame: 152, endFrame: 352 });
    expect(wrapper.emitted('select')?.[0]).toEqual(['s1']);
    expect(wrapper.emitted('changed')).toHaveLength(1);
    draft.undo();
    expect(draft.get('s1')).toMatchObject({ startFrame: 100, endFrame: 300 });
  });

  it('resizes by the edge', () => {
    const { draft, pointer } = setup();
    pointer('pointerdown', 60, laneY(0)); // frame 300 = right edge
    pointer('pointermove', 80, laneY(0));
    pointer('pointerup', 80, laneY(0));
    expect(draft.get('s1')).toMatchObject({ startFrame: 100, endFrame: 400 });
  });

  it('creates by dragging a range on an empty lane and seeks on a click', () => {
    const { wrapper, pointer } = setup();
    pointer('pointerdown', 100, laneY(1));
    pointer('pointermove', 140, laneY(1));
    pointer('pointerup', 140, laneY(1));
    expect(wrapper.emitted('create')?.[0]).toEqual([2, 500, 700]);
    pointer('pointerdown', 150, laneY(1));
    pointer('pointerup', 150, laneY(1));
    expect(wrapper.emitted('seek')?.at(-1)).toEqual([750]);
  });

  it('only selects and seeks when read-only', () => {
    const { draft, wrapper, pointer } = setup(true);
    pointer('pointerdown', 40, laneY(0));
    pointer('pointermove', 90, laneY(0));
    pointer('pointerup', 90, laneY(0));
    expect(draft.get('s1')).toMatchObject({ startFrame: 100 });
    expect(wrapper.emitted('changed')).toBeUndefined();
    pointer('pointerdown', 100, laneY(1));
    pointer('pointerup', 140, laneY(1));
    expect(wrapper.emitted('create')).toBeUndefined();
  });

  it('opens exact entry on right-click of a segment', () => {
    const { wrapper } = setup();
    wrapper.get('canvas').element.dispatchEvent(new MouseEvent('contextmenu', { clientX: 40, clientY: laneY(0), bubbles: true, cancelable: true }));
    expect(wrapper.emitted('edit')?.[0]).toEqual(['s1']);
  });
});

describe('Timeline with a draft that is reset to another video', () => {
  it('rescales to the new frame count on the next revision', async () => {
    const draft = new SegmentDraft({ fps: 25, frameCount: 1, minDurationSeconds: 1 });
    const wrapper = mount(Timeline, { props: { draft, labels, currentFrame: 0, selectedKey: null, revision: 0 } });
    draft.reset([{ key: 's1', id: 1, labelId: 1, startFrame: 100, endFrame: 300 }], { fps: 25, frameCount: 1000, minDurationSeconds: 1 });
    await wrapper.setProps({ revision: 1 });
    wrapper.get('canvas').element.dispatchEvent(new PointerEvent('pointerdown', { clientX: 40, clientY: laneY(0), button: 0, bubbles: true }));
    expect(wrapper.emitted('select')?.[0]).toEqual(['s1']);
  });
});
