/** One recognised word, as tesseract's TSV reports it. */
export interface OcrWord {
  readonly text: string;
  /** 0..1 */
  readonly confidence: number;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  readonly lineKey: string;
}

/** What tesseract read in one image. */
export interface OcrResult {
  /** Words joined by spaces, lines by newlines. */
  readonly text: string;
  /** Mean word confidence 0..1 (0 when nothing was read). */
  readonly confidence: number;
  readonly words: readonly OcrWord[];
}

const EMPTY: OcrResult = { text: '', confidence: 0, words: [] };

/**
 * Splits tesseract TSV (level, page_num, block, par, line, word, left, top, width, height,
 * conf, text) into one result per page; with a list file, page N is the N-th listed image.
 * Pages without any word come back empty, so results always line up with the inputs.
 */
export function parseTesseractTsv(tsv: string, pageCount: number): OcrResult[] {
  const words: OcrWord[][] = Array.from({ length: pageCount }, () => []);
  for (const line of tsv.split('\n')) {
    const cols = line.split('\t');
    if (cols.length < 12 || cols[0] !== '5') continue;
    const page = Number(cols[1]) - 1;
    const confidence = Number(cols[10]);
    const text = cols.slice(11).join('\t').trim();
    if (!(page >= 0 && page < pageCount) || text === '' || !(confidence >= 0)) continue;
    words[page]!.push({
      text,
      confidence: Math.min(1, confidence / 100),
      left: Number(cols[6]),
      top: Number(cols[7]),
      width: Number(cols[8]),
      height: Number(cols[9]),
      lineKey: `${cols[2]}.${cols[3]}.${cols[4]}`,
    });
  }
  return words.map((pageWords) => {
    if (pageWords.length === 0) return EMPTY;
    const lines: string[] = [];
    let currentKey = '';
    for (const word of pageWords) {
      if (word.lineKey !== currentKey || lines.length === 0) {
        lines.push(word.text);
        currentKey = word.lineKey;
      } else {
        lines[lines.length - 1] += ` ${word.text}`;
      }
    }
    const confidence = pageWords.reduce((sum, w) => sum + w.confidence, 0) / pageWords.length;
    return { text: lines.join('\n'), confidence, words: pageWords };
  });
}
