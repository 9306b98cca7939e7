import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { Conflict, DomainError, Forbidden, Invalid, NotFound, Unavailable } from '../shared/errors.js';

/**
 * Maps domain errors to the original's JSON error shapes: `{"detail": …}` for
 * 403/404, `{"error": …}` for 400/409/500. Unexpected errors are logged with the
 * request id and answered without internals.
 */
export function installErrorMapping(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      return reply.code(400).send({ error: 'Invalid request', details: error.validation.map((v) => ({ path: v.instancePath, message: v.message })) });
    }
    if (error instanceof NotFound) return reply.code(404).send({ detail: error.message });
    if (error instanceof Forbidden) return reply.code(403).send({ detail: error.message });
    if (error instanceof Conflict) return reply.code(409).send({ error: error.message });
    if (error instanceof Invalid) return reply.code(400).send(error.details === undefined ? { error: error.message } : { error: error.message, details: error.details });
    if (error instanceof Unavailable) return reply.code(503).send({ error: error.message });
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send({ error: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'Internal server error', request_id: request.id });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ detail: 'Not found.' }));
}
