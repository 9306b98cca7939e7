export { PdfError, type PdfErrorCode } from './errors.js';
export { DEFAULT_PDF_LIMITS, pdfLimits, checkPageSize, renderDpiFor, type PdfLimits, type PageSize } from './limits.js';
export { runTool, type ToolRun, type ToolOptions } from './run-tool.js';
export { extractTextLayer, openPdfDocument, boxOfRange, joinRuns, type TextRun, type PageTextLayer, type DocumentTextLayer, type Box } from './text-layer.js';
export { renderPage, parsePpmHeader, ppmFromRgb, type RenderedPage } from './render.js';
export { ocrImage, ocrImageWithTextPdf, parseTsv, type OcrWord, type OcrResult, type TesseractOptions } from './tesseract.js';
export { checkPdfStructure, type StructureCheck } from './qpdf.js';
export { inspectPdfParts, jpegMetadataText, type PdfPartLocation, type PdfTextPart, type PdfStructureReport } from './inspect.js';
export { assembleImagePdf, type ImagePage } from './build.js';
