// The golden-workflow harness: the real api (and an in-process worker) on a fresh SQLite database
// and data root, the built web app, and Debian's Chromium driven by playwright-core.
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureRuntimeDirectories } from '../apps/server/src/features/admin/index.js';
import type { App } from '../apps/server/src/http/app.js';
import { QUEUE_ROLES } from '../apps/server/src/jobs/index.js';
import { createLogger } from '../apps/server/src/log/logger.js';
import { createApiApp } from '../apps/server/src/main/api.js';
import { compose, type Runtime } from '../apps/server/src/main/compose.js';
import { createTestDatabase, type TestDatabase } from '../apps/server/test/helpers/engines.js';
import { configFrom, tempDataRoot } from '../apps/server/test/helpers/env.js';
import { ingestEnv } from '../apps/server/test/integration/ingest-support.js';
// @ts-expect-error plain ESM script without types
import { ensureWebBuild } from '../scripts/lib/web-build.mjs';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** Screenshots land here (gitignored) for people to look at. */
export const ARTIFACTS = join(ROOT, 'e2e', 'artifacts');
export const PASSWORD = 'Sommer-Endoskopie-7';
export const WEB_DIST = join(ROOT, 'apps', 'web', 'dist');
export const CHROMIUM = process.env.LX_CHROMIUM ?? '/usr/bin/chromium';
/** design.md §4: flags that keep Chromium off this machine's closed network. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Stack {
  readonly base: string;
  readonly runtime: Runtime;
  readonly browser: Browser;
  newPage(): Promise<{ context: BrowserContext; page: Page }>;
  shot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startStack(options: { worker?: boolean } = {}): Promise<Stack> {
  const dist = ensureWebBuild() as string;
  const db: TestDatabase = await createTestDatabase('sqlite');
  const dataRoot = tempDataRoot('lx-e2e-');
  const env = ingestEnv(db.env, dataRoot, { DJANGO_STATIC_ROOT: dist, DJANGO_ALLOWED_HOSTS: '127.0.0.1,localhost' });
  const config = configFrom(env);
  await ensureRuntimeDirectories(config.settings);
  const runtime = compose(config, { logger: createLogger({ level: 'silent' }) });
  await runtime.knowledgeBase.loadBaseData({ defaultCenterKey: 'klinik-a' });
  const app: App = createApiApp(runtime);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const worker = options.worker ? await runtime.jobQueue.work([...QUEUE_ROLES], runtime.jobs.forQueues([...QUEUE_ROLES]), { concurrency: 1 }) : undefined;
  const stopServer = async (): Promise<void> => {
    await worker?.stop({ graceMs: 2000 }).catch(() => undefined);
    await app.close();
    await runtime.close();
    await db.dispose();
    await rm(dataRoot, { recursive: true, force: true });
  };
  let browser: Browser;
  try {
    // playwright-core gives every launch a fresh, empty profile directory of its own.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  } catch (error) {
    await stopServer();
    throw error;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    base,
    runtime,
    browser,
    async newPage() {
      const context = await browser.newContext({ baseURL: base, locale: 'de-DE', viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      return { context, page };
    },
    async shot(page, name) {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await browser.close().catch(() => undefined);
      await stopServer();
    },
  };
}

/** Signs in through the server's own /login/ page, as a clinician would. */
export async function signInThroughPage(page: Page, username: string, next = '/'): Promise<void> {
  await page.goto(next);
  await page.waitForURL(/\/login\//);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
}
