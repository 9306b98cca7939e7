// A small HTTP/1.1 load generator for loopback benchmarks: keep-alive connections, one request in
// flight per connection, bounded by both a request count and a duration.
import { Agent, request } from 'node:http';

export interface LoadOptions {
  /** Absolute URL on 127.0.0.1. */
  readonly url: string;
  readonly connections: number;
  readonly durationMs: number;
  /** Hard upper bound on requests, whatever the duration. */
  readonly maxRequests: number;
  /** The byte range of the next request (inclusive end). */
  readonly nextRange: () => { start: number; endInclusive: number };
  readonly headers?: Record<string, string>;
  /** Called with every n-th body (and its range) for a correctness check outside the hot path. */
  readonly sampleEvery?: number;
  readonly onSample?: (start: number, body: Buffer) => void;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly bytes: number;
  readonly seconds: number;
  /** Payload throughput in MiB/s. */
  readonly mibPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Every request's latency, ascending. */
  readonly latenciesMs: readonly number[];
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

function rangeRequest(agent: Agent, url: string, headers: Record<string, string>, expectedBytes: number, keepBody: boolean): Promise<{ bytes: number; body?: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      let bytes = 0;
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => {
        bytes += part.length;
        if (keepBody) parts.push(part);
      });
      res.on('end', () => {
        if (res.statusCode !== 206 || bytes !== expectedBytes || !res.complete) reject(new Error(`status ${res.statusCode}, ${bytes} of ${expectedBytes} bytes`));
        else resolve(keepBody ? { bytes, body: Buffer.concat(parts) } : { bytes });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs `connections` sequential request loops until the duration or the request budget is used up. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  let issued = 0;
  let errors = 0;
  let bytes = 0;
  const startedAt = performance.now();
  const deadline = startedAt + options.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && issued < options.maxRequests) {
      issued += 1;
      const { start, endInclusive } = options.nextRange();
      const sample = options.sampleEvery !== undefined && issued % options.sampleEvery === 0;
      const began = performance.now();
      try {
        const result = await rangeRequest(agent, options.url, { ...options.headers, range: `bytes=${start}-${endInclusive}` }, endInclusive - start + 1, sample);
        latencies.push(performance.now() - began);
        bytes += result.bytes;
        if (result.body !== undefined) options.onSample?.(start, result.body);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - startedAt) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    bytes,
    seconds,
    mibPerSecond: bytes / (1024 * 1024) / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    latenciesMs: latencies,
  };
}

/** Sums several runs of one target (e.g. interleaved rounds) into one result. */
export function combine(results: readonly LoadResult[]): LoadResult {
  const latencies = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const bytes = results.reduce((n, r) => n + r.bytes, 0);
  const seconds = results.reduce((n, r) => n + r.seconds, 0);
  return {
    requests: latencies.length,
    errors: results.reduce((n, r) => n + r.errors, 0),
    bytes,
    seconds,
    mibPerSecond: bytes / (1024 * 1024) / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    latenciesMs: latencies,
  };
}
