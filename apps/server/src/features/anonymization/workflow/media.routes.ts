import {
  ApplyRedactionsPayload,
  CaseResolutionPayload,
  CaseResolutionResponse,
  PdfDetailResponse,
  PdfHistoryEntry,
  PdfListResponse,
  PdfRunQueuedResponse,
  SensitiveMetaPatch,
  SensitiveMetaVerifyPayload,
  SensitiveMetaView,
} from '@lx/contracts';
import { z } from 'zod';
import type { App } from '../../../http/app.js';
import { actorOf } from '../../auth/index.js';
import type { PdfMediaService } from './pdf-media.service.js';
import type { SensitiveMetaService } from './sensitive-meta.service.js';

const PREFIXES = ['/api/', '/endoreg-api/'] as const;
const PkParams = z.object({ pk: z.coerce.number().int().positive().max(2_147_483_647) });
/** §11: PDFs, sensitive metadata and case linkage are `patient` data. */
const config = { resource: 'patient' } as const;

export interface MediaRouteDeps {
  readonly pdfs: PdfMediaService;
  readonly sensitiveMeta: SensitiveMetaService;
}

/** `media/pdfs/…` and the sensitive-metadata and case-resolution routes of videos and PDFs (§5.4–§5.6). */
export function registerAnonymizationMediaRoutes(app: App, deps: MediaRouteDeps): void {
  const { pdfs, sensitiveMeta } = deps;
  for (const prefix of PREFIXES) {
    for (const [segment, type] of [['videos', 'video'], ['pdfs', 'pdf']] as const) {
      const base = `${prefix}media/${segment}/:pk/`;
      app.get(`${base}sensitive-metadata/`, { config, schema: { params: PkParams, response: { 200: SensitiveMetaView } } }, (request) => sensitiveMeta.get(actorOf(request), request.params.pk, type));
      app.patch(`${base}sensitive-metadata/`, { config, schema: { params: PkParams, body: SensitiveMetaPatch, response: { 200: SensitiveMetaView } } }, (request) =>
        sensitiveMeta.patch(actorOf(request), request.params.pk, type, request.body),
      );
      app.post(`${base}sensitive-metadata/verify/`, { config, schema: { params: PkParams, body: SensitiveMetaVerifyPayload.optional(), response: { 200: SensitiveMetaView } } }, (request) =>
        sensitiveMeta.verify(actorOf(request), request.params.pk, type, request.body ?? {}),
      );
      app.get(`${base}case-resolution/`, { config, schema: { params: PkParams, response: { 200: CaseResolutionResponse } } }, (request) => sensitiveMeta.caseResolution(actorOf(request), request.params.pk, type));
      app.post(`${base}case-resolution/`, { config, schema: { params: PkParams, body: CaseResolutionPayload, response: { 200: CaseResolutionResponse } } }, (request) =>
        sensitiveMeta.resolveCase(actorOf(request), request.params.pk, type, request.body),
      );
    }

    const pdfBase = `${prefix}media/pdfs/`;
    app.get(pdfBase, { config, schema: { response: { 200: PdfListResponse } } }, (request) => pdfs.list(actorOf(request)));
    app.get(`${pdfBase}:pk/`, { config, schema: { params: PkParams, response: { 200: PdfDetailResponse } } }, (request) => pdfs.detail(actorOf(request), request.params.pk));
    app.get(`${pdfBase}:pk/processing-history/`, { config, schema: { params: PkParams, response: { 200: z.array(PdfHistoryEntry) } } }, (request) => pdfs.history(actorOf(request), request.params.pk));
    app.get(`${pdfBase}:pk/stream/`, { config, schema: { params: PkParams, querystring: z.object({ type: z.enum(['raw', 'processed']).default('processed') }) } }, async (request, reply) => {
      const opened = await pdfs.open(actorOf(request), request.params.pk, request.query.type);
      return reply
        .header('content-type', 'application/pdf')
        .header('content-length', String(opened.sizeBytes))
        .header('content-disposition', `inline; filename="${opened.filename}"`)
        .header('cache-control', 'no-store, private')
        .header('x-content-type-options', 'nosniff')
        .send(opened.stream);
    });
    app.post(`${pdfBase}:pk/reimport/`, { config, schema: { params: PkParams, response: { 202: PdfRunQueuedResponse } } }, async (request, reply) =>
      reply.code(202).send(await pdfs.reimport(actorOf(request), request.params.pk)),
    );
    app.post(`${pdfBase}:pk/apply-redactions/`, { config, schema: { params: PkParams, body: ApplyRedactionsPayload, response: { 202: PdfRunQueuedResponse } } }, async (request, reply) =>
      reply.code(202).send(await pdfs.applyRedactions(actorOf(request), request.params.pk, request.body.boxes)),
    );
  }
}
