import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { buildApp } from './app.js';
import { createShutdown } from './lifecycle.js';

test('shutdown lets an in-flight request finish, refuses new ones, then closes resources', async () => {
  const app = buildApp({ logger: pino({ level: 'silent' }), trustedProxies: [] });
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let started!: () => void;
  const inFlight = new Promise<void>((r) => {
    started = r;
  });
  app.get('/slow', async () => {
    started();
    await gate;
    return { done: true };
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  let closed = false;
  const shutdown = createShutdown(app, async () => {
    closed = true;
  });
  const slow = fetch(`${address}/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
  await inFlight;
  const done = shutdown();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(closed, false, 'resources stay open while a request is in flight');
  await assert.rejects(fetch(`${address}/slow`), 'no new connections are accepted');
  release();
  assert.deepEqual(await slow, { status: 200, body: { done: true } });
  await done;
  assert.equal(closed, true);
});
