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

/** One word row (level 5) of tesseract's TSV: level, page_num, block, par, line, word, left, top, width, height, conf, text. */
export interface TsvWordRow {
  /** 1-based, as tesseract numbers pages. */
  readonly page: number;
  readonly text: string;
  /** 0-100 as tesseract reports it (-1 for rows without a confidence). */
  readonly confidencePercent: number;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  /** Block, paragraph and line numbers: words with the same triple form one line. */
  readonly lineKey: string;
}

/** The non-empty word rows of a tesseract TSV output, in reading order. */
export function tsvWordRows(tsv: string): TsvWordRow[] {
  const rows: TsvWordRow[] = [];
  for (const line of tsv.split('\n')) {
    const cols = line.split('\t');
    if (cols.length < 12 || cols[0] !== '5') continue;
    const text = cols.slice(11).join('\t').trim();
    if (text === '') continue;
    rows.push({
      page: Number(cols[1]),
      text,
      confidencePercent: Number(cols[10]),
      left: Number(cols[6]),
      top: Number(cols[7]),
      width: Number(cols[8]),
      height: Number(cols[9]),
      lineKey: `${cols[2]}.${cols[3]}.${cols[4]}`,
    });
  }
  return rows;
}

/**
 * Splits tesseract TSV (level, page_num, block, par, line, word, left, top, width, height,
 * conf, text) into one result per page; with a list file, page N is the N-th listed image.
 * Pages without any word come back empty, so results always line up with the inputs.
 */
export function parseTesseractTsv(tsv: string, pageCount: number): OcrResult[] {
  const words: OcrWord[][] = Array.from({ length: pageCount }, () => []);
  for (const row of tsvWordRows(tsv)) {
    const page = row.page - 1;
    if (!(page >= 0 && page < pageCount) || !(row.confidencePercent >= 0)) continue;
    const { text, left, top, width, height, lineKey } = row;
    words[page]!.push({ text, confidence: Math.min(1, row.confidencePercent / 100), left, top, width, height, lineKey });
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
