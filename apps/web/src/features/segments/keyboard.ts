/**
 * The original's annotation shortcuts (segment-annotation guide), as data: a key event maps to
 * one action name, and the page decides what the action does. Keys typed into inputs never count.
 */
export type ShortcutAction =
  | 'toggleLabelOverlay'
  | 'labelUp'
  | 'labelDown'
  | 'confirm'
  | 'markStart'
  | 'markEnd'
  | 'frameBack'
  | 'frameForward'
  | 'seekBack5'
  | 'seekForward5'
  | 'fullscreen'
  | 'copy'
  | 'paste'
  | 'undo'
  | 'redo'
  | 'delete'
  | 'prevBoundary'
  | 'nextBoundary'
  | 'playPause'
  | 'escape';

export interface KeyLike {
  readonly key: string;
  readonly ctrlKey?: boolean;
  readonly metaKey?: boolean;
  readonly shiftKey?: boolean;
  readonly altKey?: boolean;
  readonly target?: EventTarget | null;
}

/** Shortcut help as shown on the page (German), in display order. */
export const SHORTCUT_HELP: readonly (readonly [string, string])[] = [
  ['O', 'Label-Auswahl öffnen/schließen'],
  ['↑ / ↓', 'Label wählen'],
  ['Enter', 'Label übernehmen'],
  ['+ / -', 'Label-Start / Label-Ende an der aktuellen Position'],
  [', / .', 'ein Bild zurück / vor'],
  ['K / L', '5 Sekunden zurück / vor'],
  ['[ / ]', 'zur vorigen / nächsten Segmentgrenze'],
  ['Leertaste', 'Wiedergabe / Pause'],
  ['F', 'Vollbild'],
  ['Strg+C / Strg+V', 'Segment kopieren / an aktueller Position einfügen'],
  ['Strg+Z / Strg+Y', 'Rückgängig / Wiederholen'],
  ['Entf', 'ausgewähltes Segment löschen'],
];

const isTyping = (target: EventTarget | null | undefined): boolean => {
  const el = target as { tagName?: string; isContentEditable?: boolean } | null | undefined;
  if (!el || typeof el.tagName !== 'string') return false;
  const tag = el.tagName.toUpperCase();
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable === true;
};

export function shortcutFor(e: KeyLike): ShortcutAction | undefined {
  if (isTyping(e.target)) return undefined;
  const mod = e.ctrlKey === true || e.metaKey === true;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod) {
    if (key === 'c') return 'copy';
    if (key === 'v') return 'paste';
    if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (key === 'y') return 'redo';
    return undefined;
  }
  if (e.altKey) return undefined;
  switch (key) {
    case 'o':
      return 'toggleLabelOverlay';
    case 'ArrowUp':
      return 'labelUp';
    case 'ArrowDown':
      return 'labelDown';
    case 'Enter':
      return 'confirm';
    case '+':
      return 'markStart';
    case '-':
      return 'markEnd';
    case ',':
      return 'frameBack';
    case '.':
      return 'frameForward';
    case 'k':
      return 'seekBack5';
    case 'l':
      return 'seekForward5';
    case 'f':
      return 'fullscreen';
    case '[':
      return 'prevBoundary';
    case ']':
      return 'nextBoundary';
    case ' ':
      return 'playPause';
    case 'Delete':
    case 'Backspace':
      return 'delete';
    case 'Escape':
      return 'escape';
    default:
      return undefined;
  }
}
