import pino, { type Logger, type LoggerOptions } from 'pino';

/**
 * Paths redacted in every log line: credentials, session material and the
 * identifying patient fields that may ride along in an error context.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-network-node-secret"]',
  'req.headers["x-csrftoken"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.client_secret',
  '*.shared_secret',
  '*.master_key',
  '*.patient_first_name',
  '*.patient_last_name',
  '*.patient_dob',
  '*.first_name',
  '*.last_name',
  '*.dob',
  '*.casenumber',
  '*.text',
];

export type { Logger };

/** Structured JSON logs on stdout (journald keeps them); secrets and identifying fields redacted. */
export function createLogger(options: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.name ?? 'lx-annotate', pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
