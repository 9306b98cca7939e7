export { KnowledgeBaseService, type BaseDataSummary } from './knowledge-base.service.js';
export { PROCESSORS, OVERLAY_FIELDS, type ProcessorPreset, type Rect, type OverlayField } from './base-data.js';
