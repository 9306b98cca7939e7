import { http } from '../../shared/http';

export type CaseMediaType = 'video' | 'pdf';

/** `media/{videos|pdfs}/<id>/case-resolution/` (contracts CaseResolutionResponse, camelCase). */
export interface CaseResolution {
  mediaId: number;
  mediaType: CaseMediaType;
  status: 'linked' | 'not_linked';
  sensitiveMetaId: number | null;
  pseudoPatientId: number | null;
  patientExaminationId: number | null;
  patientHash: string | null;
  examinationHash: string | null;
  suggestions: { patientExaminationId: number; patientId: number; examinationId: number | null }[];
}

const path = (id: number, type: CaseMediaType): string => `media/${type === 'video' ? 'videos' : 'pdfs'}/${id}/case-resolution/`;

export const casesApi = {
  get: (id: number, type: CaseMediaType) => http.get<CaseResolution>(path(id, type)),
  link: (id: number, type: CaseMediaType, patientExaminationId: number) => http.post<CaseResolution>(path(id, type), { patientExaminationId }),
  create: (id: number, type: CaseMediaType, examinationId: number | null) => http.post<CaseResolution>(path(id, type), { create: true, examinationId }),
};
