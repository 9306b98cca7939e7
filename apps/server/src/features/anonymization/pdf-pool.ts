import { availableParallelism } from 'node:os';

/** Default parallelism for per-page tool runs: one external process per core. */
export function defaultConcurrency(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Maps `items` with at most `limit` calls in flight and keeps the order. The
 * first failure stops new work and is thrown once the running calls settle.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.error;
  return results;
}
