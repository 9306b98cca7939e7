import { describe, expect, it } from 'vitest';
import { camelKey, snakeKey, toCamel, toSnake } from './case';

describe('wire case conversion', () => {
  it('converts keys deeply and leaves values alone', () => {
    const wire = { upload_id: 'u', report_llm_job: { result: { pdf_id: 3 } }, files: [{ quarantined_at: '2024', media_type: 'video_file' }], n: null };
    expect(toCamel(wire)).toEqual({ uploadId: 'u', reportLlmJob: { result: { pdfId: 3 } }, files: [{ quarantinedAt: '2024', mediaType: 'video_file' }], n: null });
    expect(toSnake(toCamel(wire))).toEqual(wire);
  });

  it('handles digits and acronyms the way the original serializers named them', () => {
    expect(camelKey('start_frame_number')).toBe('startFrameNumber');
    expect(camelKey('patient_dob')).toBe('patientDob');
    expect(camelKey('x2_y')).toBe('x2Y');
    expect(snakeKey('noMoreNamesConfirmed')).toBe('no_more_names_confirmed');
    expect(snakeKey('casenumber')).toBe('casenumber');
    expect(snakeKey('clientId')).toBe('client_id');
    expect(snakeKey('HTMLText')).toBe('html_text');
  });

  it('does not touch class instances (FormData, Date, File)', () => {
    const d = new Date(0);
    expect(toSnake<{ created_at: Date }>({ createdAt: d }).created_at).toBe(d);
  });
});
