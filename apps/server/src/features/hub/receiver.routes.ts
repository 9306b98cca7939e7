import fastifyMultipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { App } from '../../http/app.js';
import type { HubReceiverService, Reply, TransferRequest } from './receiver.service.js';

const PREFIXES = ['/api/', '/endoreg-api/'] as const;
const KeyParams = z.object({ transfer_key: z.string().min(1).max(255) });

function transferRequest(request: FastifyRequest, route: TransferRequest['route']): TransferRequest {
  return { secure: request.protocol === 'https', headers: request.headers, actor: request.actor, route };
}

/**
 * The receiver (`central_hub` with `ENDOREG_ENABLE_HUB_TRANSFERS`): public routes that authenticate
 * the sending node themselves (HTTPS, proxy mTLS attestation, node key + secret), in the
 * original's order; the auth layer neither redirects nor refuses them.
 */
export function registerHubReceiverRoutes(app: App, receiver: HubReceiverService, options: { maxUploadBytes: number }): void {
  const send = (reply: { code(n: number): { send(b: unknown): unknown } }, r: Reply) => reply.code(r.status).send(r.body);
  for (const prefix of PREFIXES) {
    app.post(`${prefix}media/hub/transfers/`, { config: { public: true } }, async (request, reply) => send(reply, await receiver.create(transferRequest(request, 'create'), request.body)));
    app.get(`${prefix}media/hub/transfers/envelope-key/`, { config: { public: true } }, async (request, reply) => send(reply, await receiver.envelopeKey(transferRequest(request, 'envelope-key'))));
    app.get(`${prefix}media/hub/transfers/:transfer_key/status/`, { config: { public: true }, schema: { params: KeyParams } }, async (request, reply) =>
      send(reply, await receiver.status(transferRequest(request, 'status'), request.params.transfer_key)),
    );
  }
  void app.register(async (scope) => {
    await scope.register(fastifyMultipart, { limits: { fileSize: options.maxUploadBytes, files: 1, fields: 4 } });
    for (const prefix of PREFIXES) {
      scope.post(`${prefix}media/hub/transfers/:transfer_key/media/`, { config: { public: true }, schema: { params: KeyParams }, bodyLimit: options.maxUploadBytes + 1024 * 1024 }, async (request, reply) => {
        const req = transferRequest(request, 'media');
        const found = await receiver.beginUpload(req, (request.params as z.infer<typeof KeyParams>).transfer_key);
        if ('reply' in found) return send(reply, found.reply);
        if (!request.isMultipart()) return reply.code(400).send({ detail: 'multipart/form-data with media_role and file expected' });
        let mediaRole = '';
        let result: Reply | undefined;
        try {
          for await (const part of request.parts()) {
            if (part.type === 'field') {
              if (part.fieldname === 'media_role') mediaRole = String(part.value);
              continue;
            }
            if (part.fieldname === 'file' && result === undefined) result = await receiver.receive(req, found.transfer, mediaRole, part.file, part.filename);
            part.file.resume();
          }
        } catch (error) {
          if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') return send(reply, await receiver.refuseTooLarge(req, found.transfer, options.maxUploadBytes));
          // The sender went away mid-upload: nothing was stored (staging is atomic), nobody to answer.
          if (request.raw.aborted || (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
            request.log.warn({ transfer: found.transfer.id }, 'hub transfer upload aborted by the sender');
            return reply.hijack();
          }
          throw error;
        }
        return send(reply, result ?? { status: 400, body: { file: ['No file was submitted.'] } });
      });
    }
  });
}
