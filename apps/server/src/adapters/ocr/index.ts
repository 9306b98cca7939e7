export { TesseractOcr, type OcrLayout, type OcrOptions, type TesseractPoolOptions } from './tesseract.js';
export { parseTesseractTsv, type OcrResult, type OcrWord } from './tsv.js';
