import type { ColumnType, Generated } from 'kysely';

/** Read as boolean (PostgreSQL) or 0/1 (SQLite); parse with `dbBool`. */
type Bool = ColumnType<boolean | number, boolean | undefined, boolean>;
type BoolRequired = ColumnType<boolean | number, boolean, boolean>;
/** ISO-8601 UTC text written by the application. */
type Timestamp = string;
/** JSON stored as text; parse with `dbJson`. */
type JsonText = ColumnType<string, string | undefined, string>;
type Id = Generated<number>;

export interface CentersTable {
  id: Id;
  name: string;
  display_name: ColumnType<string, string | undefined, string>;
  center_key: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ExaminersTable {
  id: Id;
  first_name: ColumnType<string, string | undefined, string>;
  last_name: ColumnType<string, string | undefined, string>;
  center_id: number | null;
  examiner_hash: string | null;
  is_real_person: Bool;
  created_at: Timestamp;
}

export interface PatientsTable {
  id: Id;
  first_name: string | null;
  last_name: string | null;
  dob: string | null;
  gender: string | null;
  center_id: number | null;
  email: string | null;
  phone: string | null;
  patient_hash: string | null;
  is_real_person: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface EndoscopyProcessorsTable {
  id: Id;
  name: string;
  image_width: number;
  image_height: number;
  endoscope_image_x: number;
  endoscope_image_y: number;
  endoscope_image_width: number;
  endoscope_image_height: number;
  overlay_rois: JsonText;
  geometry_source: ColumnType<string, string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ExaminationsTable {
  id: Id;
  name: string;
  display_name: string;
}

export interface LabelsTable {
  id: Id;
  name: string;
  label_type: string;
  display_name: string;
}

export interface LabelSetsTable {
  id: Id;
  name: string;
  version: number;
}

export interface LabelSetLabelsTable {
  label_set_id: number;
  label_id: number;
}

export interface SensitiveMetaTable {
  id: Id;
  center_id: number | null;
  examination_date: string | null;
  examination_time: string | null;
  casenumber: string | null;
  patient_first_name: string | null;
  patient_last_name: string | null;
  patient_dob: string | null;
  patient_gender: string | null;
  examiner_first_name: string | null;
  examiner_last_name: string | null;
  patient_hash: string | null;
  examination_hash: string | null;
  endoscope_type: string | null;
  endoscope_sn: string | null;
  external_id: string | null;
  text: string | null;
  anonymized_text: string | null;
  field_confidence: JsonText;
  pseudo_patient_id: number | null;
  pseudo_examination_id: number | null;
  validation_comment: string | null;
  dob_verified: Bool;
  names_verified: Bool;
  direct_identifier_policy: ColumnType<string, string | undefined, string>;
  tombstone: string | null;
  cleared_at: Timestamp | null;
  /** Migration 0007: JSON array of validation tags. */
  validation_tags: JsonText;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UploadJobsTable {
  id: string;
  file: ColumnType<string, string | undefined, string>;
  status: ColumnType<string, string | undefined, string>;
  content_type: ColumnType<string, string | undefined, string>;
  source_center_id: number | null;
  source_system: ColumnType<string, string | undefined, string>;
  content_hash: ColumnType<string, string | undefined, string>;
  idempotency_key: ColumnType<string, string | undefined, string>;
  ingest_mode: ColumnType<string, string | undefined, string>;
  original_filename: ColumnType<string, string | undefined, string>;
  processing_provenance: JsonText;
  storage_class: ColumnType<string, string | undefined, string>;
  storage_tier: ColumnType<string, string | undefined, string>;
  retention_policy: ColumnType<string, string | undefined, string>;
  source_file_persisted: Bool;
  source_file_delete_eligible_at: Timestamp | null;
  cleanup_status: ColumnType<string, string | undefined, string>;
  created_by: string | null;
  sensitive_meta_id: number | null;
  error_detail: ColumnType<string, string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Migration 0004: a failed job acknowledged by a user. */
  dismissed_at: ColumnType<Timestamp | null, Timestamp | null | undefined, Timestamp | null>;
  dismissed_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface VideoFilesTable {
  id: Id;
  uuid: string;
  center_id: number;
  processor_id: number | null;
  raw_file: string | null;
  processed_file: string | null;
  video_hash: string;
  processed_video_hash: string | null;
  original_file_name: string | null;
  uploaded_at: Timestamp;
  fps: number | null;
  duration_seconds: number | null;
  frame_count: number | null;
  width: number | null;
  height: number | null;
  examination_date: string | null;
  patient_id: number | null;
  patient_examination_id: number | null;
  sensitive_meta_id: number | null;
  upload_job_id: string | null;
  storage_mode: ColumnType<string, string | undefined, string>;
  raw_streamable_relative_path: string | null;
  processed_streamable_relative_path: string | null;
  sequences: JsonText;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface VideoStatesTable {
  id: Id;
  video_file_id: number;
  frames_extracted: Bool;
  frames_initialized: Bool;
  video_meta_extracted: Bool;
  text_meta_extracted: Bool;
  initial_prediction_completed: Bool;
  lvs_created: Bool;
  frame_annotations_generated: Bool;
  sensitive_meta_processed: Bool;
  anonymized: Bool;
  anonymization_validated: Bool;
  processing_started: Bool;
  processing_error: Bool;
  segment_annotations_created: Bool;
  segment_annotations_validated: Bool;
  outside_segments_removed: Bool;
  ready_for_export: Bool;
  ready_for_export_at: Timestamp | null;
  ready_for_export_by: string | null;
  processed_file_sha256: string | null;
  updated_at: Timestamp;
}

export interface PdfFilesTable {
  id: Id;
  uuid: string;
  center_id: number;
  file: string | null;
  processed_file: string | null;
  pdf_hash: string;
  original_file_name: string | null;
  text: string | null;
  anonymized_text: string | null;
  raw_meta: JsonText;
  patient_id: number | null;
  patient_examination_id: number | null;
  examiner_id: number | null;
  pdf_type: string | null;
  document_type: string | null;
  sensitive_meta_id: number | null;
  upload_job_id: string | null;
  /** Migration 0007: how many processed versions were written (0 = none). */
  processed_version: ColumnType<number, number | undefined, number>;
  /** Migration 0007: the last release gate's status (passed | blocked | not_verifiable). */
  gate_status: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PdfStatesTable {
  id: Id;
  pdf_file_id: number;
  text_meta_extracted: Bool;
  pdf_meta_extracted: Bool;
  sensitive_meta_processed: Bool;
  anonymized: Bool;
  anonymization_validated: Bool;
  processing_started: Bool;
  processing_error: Bool;
  processed_file_sha256: string | null;
  updated_at: Timestamp;
}

export interface AuditLedgerTable {
  id: Id;
  sequence: number;
  created_at: Timestamp;
  actor: string | null;
  center_id: number | null;
  object_type: string;
  object_pk: ColumnType<string, string | undefined, string>;
  action: string;
  data: JsonText;
  prev_hash: string;
  hash: string;
}

export interface LedgerHeadTable {
  id: number;
  sequence: number;
  hash: string;
  updated_at: Timestamp;
}

export interface ApplicationSettingsTable {
  id: number;
  center_id: number | null;
  processor_id: number | null;
  annotator_name: string | null;
  report_template_name: string | null;
  ai_dataset_name: string | null;
  ai_dataset_type: string | null;
  updated_at: Timestamp;
}

export interface JobsTable {
  id: string;
  queue: string;
  name: string;
  payload: JsonText;
  state: string;
  priority: ColumnType<number, number | undefined, number>;
  center_id: number | null;
  dedupe_key: string | null;
  run_at: Timestamp;
  attempts: ColumnType<number, number | undefined, number>;
  retry_limit: number;
  backoff_seconds: number;
  max_backoff_seconds: number;
  lease_seconds: number;
  lock_token: string | null;
  locked_by: string | null;
  locked_until: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  completed_at: Timestamp | null;
  failed_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: Id;
  username: string;
  email: ColumnType<string, string | undefined, string>;
  display_name: ColumnType<string, string | undefined, string>;
  is_active: Bool;
  is_staff: Bool;
  is_superuser: Bool;
  /** `local` or `oidc`. */
  auth_source: string;
  oidc_subject: string | null;
  /** `scrypt$N$r$p$salt$hash`; local accounts only. */
  password_hash: string | null;
  must_change_password: Bool;
  password_changed_at: Timestamp | null;
  last_login_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UserGroupsTable {
  user_id: number;
  group_name: string;
}

export interface UserCentersTable {
  user_id: number;
  center_id: number;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the cookie token. */
  id: string;
  /** Null while an OpenID sign-in is pending. */
  user_id: number | null;
  auth_method: string;
  data: JsonText;
  ip: ColumnType<string, string | undefined, string>;
  user_agent: ColumnType<string, string | undefined, string>;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

export interface LoginAttemptsTable {
  id: Id;
  username: ColumnType<string, string | undefined, string>;
  ip: ColumnType<string, string | undefined, string>;
  succeeded: BoolRequired;
  attempted_at: Timestamp;
}

export interface PatientExaminationsTable {
  id: Id;
  patient_id: number;
  examination_id: number | null;
  center_id: number;
  date_start: string | null;
  date_end: string | null;
  hash: string;
  is_pseudo: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Migration 0006: one run of a video processing step. */
export interface VideoProcessingHistoryTable {
  id: Id;
  video_file_id: number;
  operation: string;
  status: string;
  config: JsonText;
  output: JsonText;
  error_detail: ColumnType<string, string | undefined, string>;
  progress: ColumnType<number, number | undefined, number>;
  progress_step: ColumnType<string, string | undefined, string>;
  output_file: string | null;
  task_id: string | null;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  duration_ms: number | null;
}

/** Migration 0006: encrypted HLS of a video (contracts §6.2). */
export interface VideoHlsArtifactsTable {
  id: Id;
  video_file_id: number;
  kind: string;
  status: string;
  key_id: string;
  wrapped_key: JsonText;
  iv_hex: ColumnType<string, string | undefined, string>;
  playlist_relative_path: ColumnType<string, string | undefined, string>;
  segment_directory_relative_path: ColumnType<string, string | undefined, string>;
  segment_count: ColumnType<number, number | undefined, number>;
  source_sha256: ColumnType<string, string | undefined, string>;
  last_error: ColumnType<string, string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Migration 0006: who works on a media file right now (`processing_locked`). */
export interface MediaOperationLeasesTable {
  media_type: string;
  media_id: number;
  operation: string;
  owner: string;
  acquired_at: Timestamp;
  expires_at: Timestamp;
}

/** Migration 0007: one processing step of a report PDF; never identifier values. */
export interface PdfProcessingHistoryTable {
  id: Id;
  pdf_file_id: number;
  center_id: number;
  operation: string;
  status: string;
  config: JsonText;
  output: JsonText;
  error_detail: ColumnType<string, string | undefined, string>;
  processed_version: number | null;
  output_sha256: string | null;
  actor: string | null;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  duration_ms: number | null;
}

export interface DocumentTypesTable {
  id: Id;
  name: string;
  display_name: string;
}

export interface AnonymizationValidationMetricsTable {
  id: Id;
  center_id: number;
  media_type: string;
  media_id: number;
  sensitive_meta_id: number | null;
  document_type: string | null;
  source_system: string | null;
  no_more_names_confirmed: ColumnType<string, string | undefined, string>;
  fields_total: number;
  fields_changed: number;
  validated_by: string | null;
  validated_at: Timestamp;
}

export interface AnonymizationFieldMetricsTable {
  id: Id;
  metric_id: number;
  field_name: string;
  present_before: BoolRequired;
  present_after: BoolRequired;
  changed: BoolRequired;
  exact_match: BoolRequired;
  similarity: number;
}

/** Migration 0009: a node of the hub network; the secret only as a scrypt hash. */
export interface NetworkNodesTable {
  id: Id;
  node_key: string;
  display_name: string;
  role: string;
  base_url: ColumnType<string, string | undefined, string>;
  is_active: Bool;
  shared_secret_hash: string | null;
  owning_center_id: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Migration 0009: a transfer received by the central hub. */
export interface HubTransferJobsTable {
  id: string;
  transfer_key: string;
  source_node_id: number;
  target_node_id: number;
  source_center_id: number;
  resource_kind: string;
  resource_hash: string;
  transfer_mode: string;
  processing_policy: string;
  processing_intent: string;
  processing_decision: string;
  cleanup_policy: string;
  cleanup_status: string;
  payload_schema_version: string;
  transfer_status: string;
  status_detail: ColumnType<string, string | undefined, string>;
  resource_rows: string;
  processing_snapshot: string;
  provenance: string;
  target_object_id: number | null;
  linked_patient_id: number | null;
  linked_patient_examination_id: number | null;
  case_resolution_status: string;
  stored_media_path: string | null;
  envelope_sha256: string | null;
  envelope_receipt: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Migration 0009: the sender's ledger of one resource towards one hub. */
export interface OutboundHubTransferJobsTable {
  id: string;
  resource_kind: string;
  video_file_id: number | null;
  pdf_file_id: number | null;
  source_center_id: number;
  target_node_id: number;
  transfer_key: string;
  transfer_mode: string;
  local_cleanup_policy: string;
  local_cleanup_status: string;
  local_cleanup_eligible_at: Timestamp | null;
  local_status: string;
  retry_count: ColumnType<number, number | undefined, number>;
  last_error: ColumnType<string, string | undefined, string>;
  remote_transfer_id: ColumnType<string, string | undefined, string>;
  remote_transfer_status: ColumnType<string, string | undefined, string>;
  remote_processing_decision: ColumnType<string, string | undefined, string>;
  payload_schema_version: ColumnType<string, string | undefined, string>;
  envelope_receipt: string | null;
  marked_by: ColumnType<string, string | undefined, string>;
  marked_at: Timestamp | null;
  queued_at: Timestamp | null;
  registration_started_at: Timestamp | null;
  media_upload_started_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  completed_at: Timestamp | null;
  /** Raised by database triggers on every save of the resource's state (migration 0010). */
  state_change_seq: ColumnType<number, number | undefined, number>;
  /** The `state_change_seq` the sender last re-evaluated. */
  state_change_seen_seq: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Migration 0008: a registered AI model family (e.g. the colonoscopy multilabel classifier). */
export interface AiModelsTable {
  id: Id;
  name: string;
  model_type: ColumnType<string, string | undefined, string>;
  description: ColumnType<string, string | undefined, string>;
  created_at: Timestamp;
}

/** Migration 0008: one weights file of a model with its label set and preprocessing. */
export interface ModelMetaTable {
  id: Id;
  ai_model_id: number;
  version: number;
  labelset_id: number;
  weights_file: string;
  weights_sha256: string;
  input_width: number;
  input_height: number;
  mean: JsonText;
  std: JsonText;
  activation: ColumnType<string, string | undefined, string>;
  batch_size: ColumnType<number, number | undefined, number>;
  /** Label names in the order of the model's output columns. */
  output_labels: JsonText;
  is_active: Bool;
  created_at: Timestamp;
}

/** Migration 0008: one inference run over one video. */
export interface VideoPredictionMetaTable {
  id: Id;
  video_file_id: number;
  model_meta_id: number;
  frame_count: number;
  frame_stride: number;
  sampled_frames: number;
  smoothing_window_seconds: number;
  threshold: number;
  label_summary: JsonText;
  duration_ms: number;
  created_at: Timestamp;
}

/** Migration 0008: start inclusive, end exclusive, exact decoded frame numbers. */
export interface LabelVideoSegmentsTable {
  id: Id;
  video_file_id: number;
  label_id: number;
  start_frame_number: number;
  end_frame_number: number;
  source_name: string;
  segment_origin: string;
  prediction_meta_id: number | null;
  annotator: ColumnType<string, string | undefined, string>;
  created_by: ColumnType<string, string | undefined, string>;
  export_segment: Bool;
  is_validated: Bool;
  validated_by: string | null;
  validated_at: Timestamp | null;
  notes: ColumnType<string, string | undefined, string>;
  version: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Migration 0008: per-video post-validation state. */
export interface VideoSegmentStatusTable {
  video_file_id: number;
  status: ColumnType<string, string | undefined, string>;
  detail: ColumnType<string, string | undefined, string>;
  only_validated: Bool;
  job_id: string | null;
  blackened_frames: ColumnType<number, number | undefined, number>;
  requested_by: string | null;
  updated_at: Timestamp;
}

/** Migration 0008: cached decoded frame timestamps of a video's processed file. */
export interface VideoFrameIndexesTable {
  video_file_id: number;
  source_file: string;
  source_sha256: string;
  time_base_num: number;
  time_base_den: number;
  frame_count: number;
  pts_runs: JsonText;
  created_at: Timestamp;
}

/** Every table, as Kysely sees it. Later migrations extend this interface. */
export interface DB {
  centers: CentersTable;
  examiners: ExaminersTable;
  patients: PatientsTable;
  endoscopy_processors: EndoscopyProcessorsTable;
  examinations: ExaminationsTable;
  labels: LabelsTable;
  label_sets: LabelSetsTable;
  label_set_labels: LabelSetLabelsTable;
  sensitive_meta: SensitiveMetaTable;
  upload_jobs: UploadJobsTable;
  video_files: VideoFilesTable;
  video_states: VideoStatesTable;
  pdf_files: PdfFilesTable;
  pdf_states: PdfStatesTable;
  audit_ledger: AuditLedgerTable;
  ledger_head: LedgerHeadTable;
  application_settings: ApplicationSettingsTable;
  jobs: JobsTable;
  users: UsersTable;
  user_groups: UserGroupsTable;
  user_centers: UserCentersTable;
  sessions: SessionsTable;
  login_attempts: LoginAttemptsTable;
  patient_examinations: PatientExaminationsTable;
  video_processing_history: VideoProcessingHistoryTable;
  video_hls_artifacts: VideoHlsArtifactsTable;
  media_operation_leases: MediaOperationLeasesTable;
  pdf_processing_history: PdfProcessingHistoryTable;
  document_types: DocumentTypesTable;
  anonymization_validation_metrics: AnonymizationValidationMetricsTable;
  anonymization_field_metrics: AnonymizationFieldMetricsTable;
  network_nodes: NetworkNodesTable;
  hub_transfer_jobs: HubTransferJobsTable;
  outbound_hub_transfer_jobs: OutboundHubTransferJobsTable;
  ai_models: AiModelsTable;
  model_meta: ModelMetaTable;
  video_prediction_meta: VideoPredictionMetaTable;
  label_video_segments: LabelVideoSegmentsTable;
  video_segment_status: VideoSegmentStatusTable;
  video_frame_indexes: VideoFrameIndexesTable;
}

export type { BoolRequired };
