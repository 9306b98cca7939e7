import helmet from '@fastify/helmet';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './app.js';

export interface TransportOptions {
  /** DJANGO_ALLOWED_HOSTS: exact names, `.example.org` for a domain and its subdomains, `*` for any. */
  readonly allowedHosts: readonly string[];
  /** DJANGO_CORS_ALLOWED_ORIGINS: the only origins that get CORS headers (with credentials; never `*`). */
  readonly corsAllowedOrigins: readonly string[];
  /** Paths answered for any Host: health probes on the loopback interface build no URLs and set no cookies. */
  readonly anyHostPaths: readonly string[];
  /** Production sends HSTS and upgrades insecure requests. */
  readonly production: boolean;
  /** Origins the browser may be sent to by a form or redirect chain (the OpenID provider). */
  readonly formActionOrigins: readonly string[];
}

const HOST_SYNTAX = /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
// django-cors-headers' defaults plus the headers the web app and upload clients send.
const ALLOWED_HEADERS = 'accept, accept-language, authorization, content-type, idempotency-key, range, user-agent, x-csrftoken, x-request-id, x-requested-with';
const EXPOSED_HEADERS = 'x-request-id, content-disposition, content-range, accept-ranges, content-length, retry-after';

/** The host name without port, lowercased; undefined when the header is not a valid host. */
export function hostName(host: string): string | undefined {
  if (!HOST_SYNTAX.test(host)) return undefined;
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  return lower.split(':', 1)[0]?.replace(/\.$/, '');
}

/** Django's ALLOWED_HOSTS matching. */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const name = hostName(host);
  if (name === undefined || name === '') return false;
  return allowed.some((pattern) => {
    const p = pattern.toLowerCase();
    if (p === '*') return true;
    if (p.startsWith('.')) return name === p.slice(1) || name.endsWith(p);
    return name === p;
  });
}

export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  const o = origin.toLowerCase();
  return allowed.some((a) => a.toLowerCase() === o);
}

/** Content-Security-Policy for the Vue SPA: own scripts only, HLS and PDF workers from blob:, no framing. */
export function contentSecurityPolicy(options: Pick<TransportOptions, 'production' | 'formActionOrigins'>): Record<string, string[]> {
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'object-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    'form-action': ["'self'", ...options.formActionOrigins],
    'script-src': ["'self'"],
    // Vue binds style attributes at run time; scripts stay strict.
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'media-src': ["'self'", 'blob:'],
    'font-src': ["'self'", 'data:'],
    'worker-src': ["'self'", 'blob:'],
    'connect-src': ["'self'"],
  };
  if (options.production) directives['upgrade-insecure-requests'] = [];
  return directives;
}

/**
 * Transport-level protection for every request, before routing decisions:
 * allowed hosts (400 otherwise), CORS restricted to the configured origins with
 * credentials, and security headers (CSP, HSTS in production, no sniffing, no framing).
 */
export function installHttpTransport(app: App, options: TransportOptions): void {
  const anyHost = new Set(options.anyHostPaths);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    if (!anyHost.has(path) && !hostAllowed(request.host, options.allowedHosts)) {
      request.log.warn({ host: request.host.slice(0, 100) }, 'request for a host not in DJANGO_ALLOWED_HOSTS');
      return reply.code(400).send({ detail: 'Invalid Host header.' });
    }
    const origin = request.headers.origin;
    if (origin === undefined) return undefined;
    reply.header('vary', 'Origin');
    const allowed = originAllowed(origin, options.corsAllowedOrigins);
    if (allowed) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
      reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    }
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      if (allowed) {
        reply.header('access-control-allow-methods', ALLOWED_METHODS);
        reply.header('access-control-allow-headers', ALLOWED_HEADERS);
        reply.header('access-control-max-age', '86400');
      }
      return reply.code(204).send();
    }
    return undefined;
  });
  void app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(options) },
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: options.production ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
  });
}
