import fastifyMultipart from '@fastify/multipart';
import { QuarantineListResponse, UploadJobActionResponse, UploadStatusResponse, type UploadCreatedResponse, type UploadErrorResponse } from '@lx/contracts';
import { z } from 'zod';
import type { App } from '../../http/app.js';
import { actorOf } from '../auth/index.js';
import type { ApiUploadService } from './api-upload.service.js';
import type { IngestService } from './ingest.service.js';
import { MAX_UPLOAD_BYTES, receiveUpload } from './upload-form.js';
import type { UploadRecoveryService } from './upload-recovery.service.js';
import type { UploadJob } from './upload-job.js';

/** The original mounts every route under `/endoreg-api/` (canonical) and `/api/` (alias). */
const PREFIXES = ['/api/', '/endoreg-api/'] as const;
const IdParams = z.object({ id: z.string().max(64) });

export interface IngestRouteDeps {
  readonly ingest: IngestService;
  readonly uploads: ApiUploadService;
  readonly recovery: UploadRecoveryService;
}

function actionReply(job: UploadJob, prefix: string, requeued: boolean, message: string) {
  return { upload_id: job.id, status: job.status, status_url: `${prefix}upload/${job.id}/status/`, requeued, dismissed: job.dismissedAt !== null, message };
}

/**
 * `POST upload/` (multipart, streamed into encrypted storage), `GET upload/<id>/status/`,
 * retry and dismiss of failed jobs, and `GET runtime/quarantine/`, under both prefixes.
 * Resources per §11: the upload falls back to `data`, its status is `patient`,
 * quarantine and failed-job actions are `anonymization`.
 */
export function registerIngestRoutes(app: App, deps: IngestRouteDeps): void {
  // Multipart parsing only where it is needed: its own plugin scope.
  void app.register(async (scope) => {
    // The size limit is enforced while streaming (upload-form.ts); busboy only stops one byte above it.
    await scope.register(fastifyMultipart, { limits: { fileSize: MAX_UPLOAD_BYTES + 1 }, throwFileSizeLimit: false });
    for (const prefix of PREFIXES) {
      scope.post(
        `${prefix}upload/`,
        // No response schema: refusals (400/403/500 `{error}`) and the auth layer's `{detail}` share the route.
        { config: { resource: 'data' }, bodyLimit: MAX_UPLOAD_BYTES + 64 * 1024 * 1024 },
        async (request, reply) => {
          const received = await receiveUpload(request, deps.ingest);
          if (!received.ok) return reply.code(400).send({ error: received.error } satisfies UploadErrorResponse);
          const result = await deps.uploads.accept(request.actor, received.upload, prefix);
          return reply.code(result.status).send(result.body satisfies UploadCreatedResponse | UploadErrorResponse);
        },
      );
    }
  });

  for (const prefix of PREFIXES) {
    app.get(`${prefix}upload/:id/status/`, { config: { resource: 'patient' }, schema: { params: IdParams, response: { 200: UploadStatusResponse } } }, (request) =>
      deps.ingest.status(actorOf(request), request.params.id),
    );

    for (const base of [`${prefix}upload/`, `${prefix}anonymization/upload-jobs/`]) {
      app.post(`${base}:id/retry/`, { config: { resource: 'anonymization' }, schema: { params: IdParams, response: { 200: UploadJobActionResponse } } }, async (request) => {
        const { job, requeued } = await deps.recovery.retry(actorOf(request), request.params.id);
        return actionReply(job, prefix, requeued, requeued ? 'Upload wird erneut verarbeitet.' : 'Datei wurde zur erneuten Verarbeitung in den Importordner zurückgelegt.');
      });
      app.post(`${base}:id/dismiss/`, { config: { resource: 'anonymization' }, schema: { params: IdParams, response: { 200: UploadJobActionResponse } } }, async (request) => {
        const job = await deps.recovery.dismiss(actorOf(request), request.params.id);
        return actionReply(job, prefix, false, 'Fehlgeschlagener Upload wurde verworfen.');
      });
    }

    app.get(`${prefix}runtime/quarantine/`, { config: { resource: 'anonymization' }, schema: { response: { 200: QuarantineListResponse } } }, (request) => deps.recovery.list(actorOf(request)));
  }
}
