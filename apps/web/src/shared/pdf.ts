import type { PDFDocumentProxy } from 'pdfjs-dist';

/**
 * pdf.js, loaded on demand (it is large), fetching with the session cookie. Scripting and eval
 * stay off: the documents are patient reports from outside.
 */
export async function loadPdf(url: string): Promise<PDFDocumentProxy> {
  const pdfjs = await import('pdfjs-dist');
  const worker = await import('pdfjs-dist/build/pdf.worker.min.mjs?url');
  pdfjs.GlobalWorkerOptions.workerSrc = worker.default;
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(response.status === 404 ? 'Keine Datei vorhanden.' : `Das PDF konnte nicht geladen werden (${response.status}).`);
  return pdfjs.getDocument({ data: new Uint8Array(await response.arrayBuffer()), isEvalSupported: false }).promise;
}

/** Draws page `n` (from 1) into `canvas` at `scale` pixels per PDF point; returns the size in pixels. */
export async function renderPdfPage(doc: PDFDocumentProxy, n: number, canvas: HTMLCanvasElement, scale: number): Promise<{ width: number; height: number }> {
  const page = await doc.getPage(n);
  const viewport = page.getViewport({ scale });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  await page.render({ canvas, viewport }).promise;
  return { width: canvas.width, height: canvas.height };
}
