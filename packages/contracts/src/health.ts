import { z } from 'zod';

export const ReadinessCheck = z.object({
  name: z.string(),
  ok: z.boolean(),
  severity: z.enum(['critical', 'warning']),
  detail: z.string(),
});
export type ReadinessCheck = z.infer<typeof ReadinessCheck>;

export const ReadinessResponse = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.array(ReadinessCheck),
});
export type ReadinessResponse = z.infer<typeof ReadinessResponse>;

export const HealthResponse = z.object({
  status: z.literal('ok'),
  uptime_seconds: z.number(),
  version: z.string(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
