import type { Actor } from '../auth/index.js';
import { CenterResolutionError, resolveUploadCenter } from './center-resolution.js';
import { HandoffFailed, type IngestService } from './ingest.service.js';
import type { ReceivedUpload } from './upload-form.js';

/** The answer of `POST upload/`, status and JSON body exactly as §3.1. */
export type UploadReply =
  | { readonly status: 200 | 201; readonly body: { upload_id: string; status_url: string; message: string } }
  | { readonly status: 400 | 403 | 500; readonly body: { error: string } };

/**
 * `POST /api/upload/` after the body was received and stored: §3.1 steps 6 and 7
 * (center resolution, then job create/reuse and the processing hand-off).
 */
export class ApiUploadService {
  constructor(private readonly ingest: IngestService) {}

  async accept(actor: Actor | undefined, upload: ReceivedUpload, statusUrlPrefix: string): Promise<UploadReply> {
    const { deps } = this.ingest;
    let resolved;
    try {
      resolved = await resolveUploadCenter(
        { actor, declaredKey: upload.fields.center_key, declaredName: upload.fields.center_name, strict: deps.role === 'central_hub', modeLabel: 'central hub' },
        deps.centers,
      );
    } catch (error) {
      await this.ingest.discardStored(upload.stored.relativePath);
      if (error instanceof CenterResolutionError) return { status: error.status, body: { error: error.message } };
      throw error;
    }
    const { center, declared } = resolved;
    const sourceSystem = upload.fields.source_system || 'api';
    try {
      const outcome = await this.ingest.ingest({
        id: upload.jobId,
        stored: upload.stored,
        contentType: upload.contentType,
        centerId: center.id,
        sourceSystem,
        idempotencyKey: upload.idempotencyKey,
        ingestMode: 'api',
        storageTier: 'upload_api',
        retentionPolicy: 'preserve_source',
        originalFilename: upload.filename,
        createdBy: actor?.username ?? null,
        provenance: {
          entrypoint: 'upload_api',
          ingest_mode: 'api',
          source_system: sourceSystem,
          source_center_key: center.centerKey,
          storage_tier: 'upload_api',
          retention_policy: 'preserve_source',
          hub_mode: deps.role,
          declared_center_key: declared?.centerKey ?? (upload.fields.center_key || null),
          declared_center_name: upload.fields.center_name || null,
          resolved_center_key: center.centerKey,
          file_type: upload.contentType === 'application/pdf' ? 'report' : 'video',
          processing_handoff: 'celery',
        },
      });
      await deps.audit.append({
        action: 'hub.center_resolved',
        objectType: 'upload_job',
        objectPk: outcome.job.id,
        actor: actor?.username ?? null,
        centerId: center.id,
        data: {
          ingest_mode: 'api',
          hub_mode: deps.role,
          declared_center_key: upload.fields.center_key || null,
          declared_center_name: upload.fields.center_name || null,
          resolved_center_key: center.centerKey,
          resolved_via: resolved.via,
          reused_job: !outcome.created,
        },
      });
      return {
        status: outcome.created ? 201 : 200,
        body: { upload_id: outcome.job.id, status_url: `${statusUrlPrefix}upload/${outcome.job.id}/status/`, message: 'Upload job created successfully' },
      };
    } catch (error) {
      if (error instanceof HandoffFailed) return { status: 500, body: { error: error.message } };
      // The stored copy belongs to the job if the row made it in; otherwise nothing owns it.
      if (!(await this.ingest.find(upload.jobId).catch(() => undefined))) await this.ingest.discardStored(upload.stored.relativePath);
      deps.logger.error({ err: error }, 'upload job could not be created');
      return { status: 500, body: { error: `Failed to create upload job: ${(error as Error).name || 'internal error'}` } };
    }
  }
}
