import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../log/logger.js';
import { installErrorMapping } from './error-mapping.js';
import './route-policy.js';

export type App = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export interface AppOptions {
  readonly logger: Logger;
  /** Proxy addresses whose X-Forwarded-* headers are believed. */
  readonly trustedProxies: readonly string[];
  /** Largest request body outside the streaming upload routes. */
  readonly bodyLimitBytes?: number;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** The Fastify instance with zod validation, request ids and the one error mapping; features add routes. */
export function buildApp(options: AppOptions): App {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    trustProxy: [...options.trustedProxies],
    bodyLimit: options.bodyLimitBytes ?? 10 * 1024 * 1024,
    // Fastify's default (100) answers 414 for a hub transfer_key, which may be 255 characters (percent-encoded: more).
    routerOptions: { maxParamLength: 800 },
    // A caller's id is kept when it looks like one, so that logs line up across nginx and the app.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorMapping(app);
  return app;
}
