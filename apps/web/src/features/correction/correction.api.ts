import { http } from '../../shared/http';
import type { RedactionBox } from './redaction-draft';

export interface PdfHistoryEntry {
  id: number;
  operation: string;
  status: 'queued' | 'running' | 'success' | 'failed';
  errorDetail?: string;
  createdAt?: string;
  finishedAt?: string | null;
}

export const correctionApi = {
  rawPdfUrl: (id: number) => `/endoreg-api/media/pdfs/${id}/stream/?type=raw`,
  processedPdfUrl: (id: number) => `/endoreg-api/media/pdfs/${id}/stream/?type=processed`,
  applyRedactions: (id: number, boxes: RedactionBox[]) => http.post<{ historyId: number; jobId: string; status: string }>(`media/pdfs/${id}/apply-redactions/`, { boxes }),
  history: (id: number) => http.get<PdfHistoryEntry[]>(`media/pdfs/${id}/processing-history/`),
};
