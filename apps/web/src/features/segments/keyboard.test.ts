import { describe, expect, it } from 'vitest';
import { shortcutFor } from './keyboard';

describe('annotation shortcuts', () => {
  it('maps the original keys', () => {
    expect(shortcutFor({ key: 'o' })).toBe('toggleLabelOverlay');
    expect(shortcutFor({ key: 'O' })).toBe('toggleLabelOverlay');
    expect(shortcutFor({ key: 'ArrowUp' })).toBe('labelUp');
    expect(shortcutFor({ key: 'ArrowDown' })).toBe('labelDown');
    expect(shortcutFor({ key: 'Enter' })).toBe('confirm');
    expect(shortcutFor({ key: '+' })).toBe('markStart');
    expect(shortcutFor({ key: '-' })).toBe('markEnd');
    expect(shortcutFor({ key: ',' })).toBe('frameBack');
    expect(shortcutFor({ key: '.' })).toBe('frameForward');
    expect(shortcutFor({ key: 'k' })).toBe('seekBack5');
    expect(shortcutFor({ key: 'l' })).toBe('seekForward5');
    expect(shortcutFor({ key: 'f' })).toBe('fullscreen');
    expect(shortcutFor({ key: 'Delete' })).toBe('delete');
    expect(shortcutFor({ key: 'c', ctrlKey: true })).toBe('copy');
    expect(shortcutFor({ key: 'v', metaKey: true })).toBe('paste');
    expect(shortcutFor({ key: 'z', ctrlKey: true })).toBe('undo');
    expect(shortcutFor({ key: 'Z', ctrlKey: true, shiftKey: true })).toBe('redo');
    expect(shortcutFor({ key: '[' })).toBe('prevBoundary');
    expect(shortcutFor({ key: ']' })).toBe('nextBoundary');
  });

  it('ignores keys typed into form fields and unknown combinations', () => {
    const input = document.createElement('input');
    expect(shortcutFor({ key: '+', target: input })).toBeUndefined();
    expect(shortcutFor({ key: 'c', ctrlKey: true, target: document.createElement('textarea') })).toBeUndefined();
    expect(shortcutFor({ key: 'x' })).toBeUndefined();
    expect(shortcutFor({ key: 'k', altKey: true })).toBeUndefined();
    expect(shortcutFor({ key: 'a', ctrlKey: true })).toBeUndefined();
  });
});
