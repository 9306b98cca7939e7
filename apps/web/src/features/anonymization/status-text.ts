/** German texts of the statuses users see. */
export const ANONYMIZATION_STATUS_TEXT: Record<string, string> = {
  not_started: 'Nicht gestartet',
  started: 'Gestartet',
  extracting_frames: 'Bilder werden extrahiert',
  processing_anonymization: 'Anonymisierung läuft',
  predicting_segments: 'Segmente werden vorhergesagt',
  done_processing_anonymization: 'Wartet auf Validierung',
  validated: 'Validiert',
  failed: 'Fehlgeschlagen',
};

export const UPLOAD_STATUS_TEXT: Record<string, string> = {
  pending: 'Wartet',
  processing: 'Wird verarbeitet',
  anonymized: 'Anonymisiert',
  error: 'Fehler',
  lost: 'Verloren',
};

export const ANNOTATION_STATUS_TEXT: Record<string, string> = {
  not_started: 'Nicht begonnen',
  in_progress: 'In Bearbeitung',
  cleanup_queued: 'Validiert, Nachbearbeitung geplant',
  cleanup_running: 'Validiert, Nachbearbeitung läuft',
  validated: 'Validiert',
  cleanup_failed: 'Nachbearbeitung fehlgeschlagen',
  not_applicable: '–',
};

export const PROCESSING = new Set(['started', 'extracting_frames', 'processing_anonymization', 'predicting_segments']);
export const WAITING = 'done_processing_anonymization';
