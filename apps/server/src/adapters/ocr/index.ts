export { TesseractOcr, type OcrLayout, type OcrOptions, type TesseractPoolOptions } from './tesseract.js';
export { parseTesseractTsv, tsvWordRows, type OcrResult, type OcrWord, type TsvWordRow } from './tsv.js';
