/**
 * Why a PDF could not be read or processed. `code` is stable for callers and
 * history records; `message` is English for logs; `detailDe` is the German text a
 * clinician sees as `error_detail`. Neither ever contains document content.
 */
export type PdfErrorCode =
  | 'encrypted'
  | 'malformed'
  | 'empty'
  | 'too_many_pages'
  | 'page_too_large'
  | 'too_large'
  | 'no_content'
  | 'timeout'
  | 'tool_failed';

const GERMAN: Record<PdfErrorCode, string> = {
  encrypted: 'Die PDF-Datei ist passwortgeschützt oder verschlüsselt und kann nicht verarbeitet werden.',
  malformed: 'Die PDF-Datei ist beschädigt oder unvollständig und kann nicht gelesen werden.',
  empty: 'Die PDF-Datei ist leer.',
  too_many_pages: 'Die PDF-Datei hat mehr Seiten als erlaubt.',
  page_too_large: 'Eine Seite der PDF-Datei ist größer als erlaubt.',
  too_large: 'Die PDF-Datei ist größer als erlaubt.',
  no_content: 'Die PDF-Datei enthält weder Text noch Bilder.',
  timeout: 'Die Verarbeitung der PDF-Datei hat das Zeitlimit überschritten.',
  tool_failed: 'Ein Werkzeug zur PDF-Verarbeitung ist fehlgeschlagen.',
};

export class PdfError extends Error {
  readonly detailDe: string;

  constructor(
    readonly code: PdfErrorCode,
    message: string,
    options: { cause?: unknown; detailDe?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PdfError';
    this.detailDe = options.detailDe ?? GERMAN[code];
  }
}
