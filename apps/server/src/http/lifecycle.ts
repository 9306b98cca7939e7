import type { App } from './app.js';

/**
 * Stops accepting connections, lets in-flight requests finish, then runs
 * `onClosed` (close the database). Calling it again returns the same promise.
 */
export function createShutdown(app: App, onClosed: () => Promise<void>, graceMs = 25_000): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return (): Promise<void> => {
    if (closing) return closing;
    closing = (async () => {
      app.log.info('shutting down: finishing in-flight requests');
      const timer = setTimeout(() => {
        app.log.error('shutdown grace period exceeded');
        process.exit(1);
      }, graceMs);
      timer.unref();
      // Keep-alive connections that finish their last request while closing become
      // idle only later; close them as they do, so close() does not wait for timeouts.
      const sweeper = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(sweeper);
      }
      await onClosed();
      clearTimeout(timer);
      app.log.info('shutdown complete');
    })();
    return closing;
  };
}

/** On SIGTERM/SIGINT: shut down gracefully and exit 0; a second signal or a failure exits 1. */
export function installGracefulShutdown(app: App, onClosed: () => Promise<void>, graceMs = 25_000): () => Promise<void> {
  const shutdown = createShutdown(app, onClosed, graceMs);
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      app.log.warn({ signal }, 'second signal: exiting immediately');
      process.exit(1);
    }
    signalled = true;
    void shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return shutdown;
}
