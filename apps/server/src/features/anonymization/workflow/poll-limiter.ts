/**
 * Server-side limit for status polling (the original answers 429): at most
 * `limit` requests per key within `windowMs`. In memory, per api process; the
 * key is user and file, so one client's tight loop does not slow others.
 */
export class PollLimiter {
  readonly #hits = new Map<string, number[]>();

  constructor(
    private readonly limit = 10,
    private readonly windowMs = 10_000,
  ) {}

  /** Records a request; returns the seconds to wait when it exceeds the limit, else 0. */
  hit(key: string, now = Date.now()): number {
    const recent = (this.#hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.limit) {
      this.#hits.set(key, recent);
      return Math.max(1, Math.ceil(((recent[0] as number) + this.windowMs - now) / 1000));
    }
    recent.push(now);
    this.#hits.set(key, recent);
    if (this.#hits.size > 10_000) this.#prune(now);
    return 0;
  }

  #prune(now: number): void {
    for (const [key, times] of this.#hits) if (times.every((t) => now - t >= this.windowMs)) this.#hits.delete(key);
  }
}
