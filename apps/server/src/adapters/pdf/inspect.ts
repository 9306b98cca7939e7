import {
  decodePDFRawStream,
  EncryptedPDFError,
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFRawStream,
  PDFRef,
  PDFStream,
  PDFString,
  type PDFObject,
} from 'pdf-lib';
import { PdfError } from './errors.js';

/** Where in a PDF's structure (outside the page text) a piece of text was found. */
export type PdfPartLocation =
  | 'info'
  | 'xmp'
  | 'annotation'
  | 'form'
  | 'attachment'
  | 'outline'
  | 'page-label'
  | 'javascript'
  | 'image-metadata'
  | 'object';

export interface PdfTextPart {
  readonly location: PdfPartLocation;
  readonly text: string;
}

export interface PdfStructureReport {
  readonly parts: readonly PdfTextPart[];
  readonly counts: Readonly<Record<'infoEntries' | 'xmp' | 'annotations' | 'formFields' | 'attachments' | 'outlines' | 'pageLabels' | 'javascript', number>>;
}

const MAX_DECODED_BYTES = 16 * 1024 * 1024;
const MAX_WALK_DEPTH = 12;
const MAX_OUTLINE_ITEMS = 10_000;

/**
 * Collects every piece of text a PDF carries outside its page content: the Info
 * dictionary, XMP metadata (document, page and object level), annotations, form
 * fields (AcroForm and XFA), attachments (names, descriptions and decoded
 * content), outlines, page labels, JavaScript, JPEG comment/EXIF/XMP segments,
 * and finally any string in any other object. Used by the release gate.
 */
export async function inspectPdfParts(bytes: Uint8Array): Promise<PdfStructureReport> {
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(bytes, { ignoreEncryption: false, throwOnInvalidObject: false, updateMetadata: false });
  } catch (error) {
    // pdf-lib's error classes do not survive `instanceof` (ES5 subclassing); its message is stable.
    if (error instanceof EncryptedPDFError || /is encrypted/.test((error as Error).message)) throw new PdfError('encrypted', 'the PDF is encrypted', { cause: error });
    throw new PdfError('malformed', 'the PDF structure could not be read', { cause: error });
  }
  const { context, catalog } = doc;
  const parts: PdfTextPart[] = [];
  const counts = { infoEntries: 0, xmp: 0, annotations: 0, formFields: 0, attachments: 0, outlines: 0, pageLabels: 0, javascript: 0 };
  const claimed = new Set<PDFObject>();
  const lookup = (obj: PDFObject | undefined): PDFObject | undefined => (obj instanceof PDFRef ? context.lookup(obj) : obj);
  const add = (location: PdfPartLocation, text: string): void => {
    if (text.trim() !== '') parts.push({ location, text });
  };

  /** Every string reachable from `obj` (not following parents or pages). */
  const collectStrings = (obj: PDFObject | undefined, location: PdfPartLocation, depth = 0, seen = new Set<PDFObject>()): void => {
    const value = lookup(obj);
    if (value === undefined || depth > MAX_WALK_DEPTH || seen.has(value)) return;
    seen.add(value);
    claimed.add(value);
    if (value instanceof PDFString || value instanceof PDFHexString) add(location, value.decodeText());
    else if (value instanceof PDFArray) for (const item of value.asArray()) collectStrings(item, location, depth + 1, seen);
    else if (value instanceof PDFDict || value instanceof PDFStream) {
      const dict = value instanceof PDFStream ? value.dict : value;
      for (const [key, item] of dict.entries()) {
        if (['Parent', 'P', 'Prev', 'Last', 'First', 'Next', 'Dest', 'Pg'].includes(key.asString().slice(1))) continue;
        collectStrings(item, location, depth + 1, seen);
      }
      // The catch-all pass only reads strings: page content is the text layer's business.
      if (value instanceof PDFRawStream && location !== 'object' && !isImageOrFont(value)) add(location, decodeStreamText(value));
    }
  };

  const info = lookup(context.trailerInfo.Info);
  if (info instanceof PDFDict) {
    counts.infoEntries = info.entries().length;
    collectStrings(info, 'info');
  }
  const metadata = lookup(catalog.get(PDFName.of('Metadata')));
  if (metadata instanceof PDFRawStream) {
    counts.xmp += 1;
    claimed.add(metadata);
    add('xmp', decodeStreamText(metadata));
  }

  for (const page of doc.getPages()) {
    const annots = lookup(page.node.get(PDFName.of('Annots')));
    if (annots instanceof PDFArray) {
      for (const annot of annots.asArray()) {
        counts.annotations += 1;
        const dict = lookup(annot);
        const isAttachment = dict instanceof PDFDict && dict.get(PDFName.of('Subtype'))?.toString() === '/FileAttachment';
        if (isAttachment) counts.attachments += 1;
        collectStrings(annot, isAttachment ? 'attachment' : 'annotation');
      }
    }
    const additionalActions = page.node.get(PDFName.of('AA'));
    if (additionalActions) {
      counts.javascript += 1;
      collectStrings(additionalActions, 'javascript');
    }
  }

  const acroForm = lookup(catalog.get(PDFName.of('AcroForm')));
  if (acroForm instanceof PDFDict) {
    const fields = lookup(acroForm.get(PDFName.of('Fields')));
    if (fields instanceof PDFArray) counts.formFields = fields.size();
    collectStrings(acroForm, 'form');
  }

  const names = lookup(catalog.get(PDFName.of('Names')));
  if (names instanceof PDFDict) {
    const embedded = names.get(PDFName.of('EmbeddedFiles'));
    if (embedded) {
      counts.attachments += countNameTreeLeaves(embedded, lookup);
      collectStrings(embedded, 'attachment');
    }
    const js = names.get(PDFName.of('JavaScript'));
    if (js) {
      counts.javascript += 1;
      collectStrings(js, 'javascript');
    }
  }
  for (const key of ['OpenAction', 'AA']) {
    const action = catalog.get(PDFName.of(key));
    if (action && key === 'AA') counts.javascript += 1;
    if (action) collectStrings(action, 'javascript');
  }

  const outlines = lookup(catalog.get(PDFName.of('Outlines')));
  if (outlines instanceof PDFDict) {
    const stack: PDFObject[] = [];
    const first = outlines.get(PDFName.of('First'));
    if (first) stack.push(first);
    const visited = new Set<PDFObject>();
    while (stack.length > 0 && visited.size < MAX_OUTLINE_ITEMS) {
      const item = lookup(stack.pop());
      if (!(item instanceof PDFDict) || visited.has(item)) continue;
      visited.add(item);
      counts.outlines += 1;
      collectStrings(item, 'outline');
      for (const k of ['First', 'Next']) {
        const next = item.get(PDFName.of(k));
        if (next) stack.push(next);
      }
    }
  }

  const pageLabels = lookup(catalog.get(PDFName.of('PageLabels')));
  if (pageLabels) {
    counts.pageLabels = 1;
    collectStrings(pageLabels, 'page-label');
  }

  // Everything else: strings anywhere, XMP attached to any object, JPEG metadata segments.
  for (const [, obj] of context.enumerateIndirectObjects()) {
    if (claimed.has(obj)) continue;
    if (obj instanceof PDFRawStream) {
      const type = obj.dict.get(PDFName.of('Type'))?.toString();
      if (type === '/Metadata') {
        counts.xmp += 1;
        add('xmp', decodeStreamText(obj));
      } else if (obj.dict.get(PDFName.of('Filter'))?.toString().includes('DCTDecode')) {
        add('image-metadata', jpegMetadataText(obj.getContents()));
      }
      for (const [, value] of obj.dict.entries()) collectStrings(value, 'object', 1);
    } else if (obj instanceof PDFDict || obj instanceof PDFArray) {
      collectStrings(obj, 'object');
    }
  }
  return { parts, counts };
}

function isImageOrFont(stream: PDFRawStream): boolean {
  const subtype = stream.dict.get(PDFName.of('Subtype'))?.toString();
  const type = stream.dict.get(PDFName.of('Type'))?.toString();
  return subtype === '/Image' || type === '/Font' || subtype === '/Type1C' || subtype === '/CIDFontType0C' || subtype === '/OpenType' || stream.dict.has(PDFName.of('Length1'));
}

/** A stream's decoded bytes as text (UTF-8 where valid, else Latin-1), bounded. */
export function decodeStreamText(stream: PDFRawStream): string {
  let bytes: Uint8Array;
  try {
    bytes = decodePDFRawStream(stream).decode();
  } catch {
    bytes = stream.getContents();
  }
  const slice = Buffer.from(bytes.subarray(0, MAX_DECODED_BYTES));
  const utf8 = slice.toString('utf8');
  return utf8.includes('\uFFFD') ? slice.toString('latin1') : utf8;
}

/** Text in a JPEG's comment and APPn segments (EXIF, XMP, IPTC), which scanners fill. */
export function jpegMetadataText(jpeg: Uint8Array): string {
  const data = Buffer.from(jpeg);
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return '';
  const texts: string[] = [];
  let offset = 2;
  while (offset + 4 <= data.length && data[offset] === 0xff) {
    const marker = data[offset + 1] as number;
    if (marker === 0xda || marker === 0xd9) break;
    const length = data.readUInt16BE(offset + 2);
    const segment = data.subarray(offset + 4, offset + 2 + length);
    if (marker === 0xfe || (marker >= 0xe1 && marker <= 0xef)) texts.push(segment.toString('latin1').replace(/[^\x20-\x7e\xa0-\xff]+/g, ' '), segment.toString('utf8'));
    offset += 2 + length;
  }
  return texts.join('\n');
}

function countNameTreeLeaves(node: PDFObject, lookup: (o: PDFObject | undefined) => PDFObject | undefined, depth = 0): number {
  const dict = lookup(node);
  if (!(dict instanceof PDFDict) || depth > MAX_WALK_DEPTH) return 0;
  let count = 0;
  const names = lookup(dict.get(PDFName.of('Names')));
  if (names instanceof PDFArray) count += Math.floor(names.size() / 2);
  const kids = lookup(dict.get(PDFName.of('Kids')));
  if (kids instanceof PDFArray) for (const kid of kids.asArray()) count += countNameTreeLeaves(kid, lookup, depth + 1);
  return count;
}
