import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { extractIdentifiers, extractIdentifiersWithLlm, LlmExtractionError, type LlmExtractorConfig } from './index.js';

interface Received {
  readonly path: string;
  readonly body: { model: string; prompt: string; format: string; stream: boolean };
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly delayMs?: number;
}

/** A tiny stand-in for Ollama's `/api/generate`: records requests, answers with `reply`. */
function fakeOllama(): { server: Server; received: Received[]; reply: Reply } {
  const fake = { server: undefined as unknown as Server, received: [] as Received[], reply: { status: 200, body: {} } as Reply };
  fake.server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      fake.received.push({ path: req.url ?? '', body: JSON.parse(raw) });
      const { status, body, delayMs } = fake.reply;
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      }, delayMs ?? 0);
    });
  });
  return fake;
}

const answer = (fields: Record<string, unknown>) => ({ model: 'test', response: JSON.stringify(fields), done: true });

describe('LLM identifier extractor (Ollama-compatible)', () => {
  const ollama = fakeOllama();
  let config: LlmExtractorConfig;
  before(async () => {
    await new Promise<void>((r) => ollama.server.listen(0, '127.0.0.1', r));
    config = { endpoint: `http://127.0.0.1:${(ollama.server.address() as AddressInfo).port}`, model: 'lx-gemma4-e2b-json', timeoutMs: 2000 };
  });
  after(() => new Promise<void>((r) => ollama.server.close(() => r())));

  test('asks /api/generate for JSON and keeps only validated fields', async () => {
    ollama.reply = {
      status: 200,
      body: answer({ patient_first_name: 'Erika', patient_last_name: 'Mustermann', patient_dob: '12.08.1964', examination_date: 'gestern', patient_gender: 'weiblich', casenumber: null, extra: 'ignored' }),
    };
    const fields = await extractIdentifiersWithLlm('Bericht ohne Etiketten: Erika Mustermann, 12.08.1964', config);
    const last = ollama.received.at(-1);
    assert.equal(last?.path, '/api/generate');
    assert.equal(last?.body.model, 'lx-gemma4-e2b-json');
    assert.equal(last?.body.format, 'json');
    assert.equal(last?.body.stream, false);
    assert.match(last?.body.prompt ?? '', /Erika Mustermann/);
    assert.deepEqual(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.value])), {
      patient_first_name: 'Erika',
      patient_last_name: 'Mustermann',
      patient_dob: '1964-08-12',
    });
    assert.ok(Object.values(fields).every((f) => f.source === 'llm' && f.confidence === 0.5));
  });

  test('used only when the rules find nothing, and only when configured', async () => {
    ollama.reply = { status: 200, body: answer({ patient_last_name: 'Mustermann' }) };
    const before = ollama.received.length;
    const byRules = await extractIdentifiers('Patient: Weber, Hans', { llm: config });
    assert.equal(byRules.method, 'rules');
    assert.equal(ollama.received.length, before, 'the rules found something: no request');
    const unconfigured = await extractIdentifiers('Erika Mustermann war hier.');
    assert.equal(unconfigured.method, 'none');
    assert.equal(ollama.received.length, before, 'no endpoint configured: no request');
    const byLlm = await extractIdentifiers('Erika Mustermann war hier.', { llm: config });
    assert.equal(byLlm.method, 'llm');
    assert.equal(byLlm.fields.patient_last_name?.value, 'Mustermann');
    assert.equal(ollama.received.length, before + 1);
  });

  test('a broken answer or a slow server is a warning, never a failed import', async () => {
    for (const reply of [
      { status: 500, body: { error: 'model not loaded' } },
      { status: 200, body: { response: 'kein JSON' } },
      { status: 200, body: answer({ patient_last_name: 42 }) },
      { status: 200, body: 'not even json' },
    ]) {
      ollama.reply = reply;
      await assert.rejects(extractIdentifiersWithLlm('x', config), LlmExtractionError);
      const outcome = await extractIdentifiers('Erika Mustermann war hier.', { llm: config });
      assert.equal(outcome.method, 'none');
      assert.equal(outcome.warnings.length, 1);
      assert.doesNotMatch(outcome.warnings[0] ?? '', /Mustermann/);
    }
    ollama.reply = { status: 200, body: answer({ patient_last_name: 'Zu spät' }), delayMs: 500 };
    const slow = await extractIdentifiers('Erika Mustermann war hier.', { llm: { ...config, timeoutMs: 100 } });
    assert.equal(slow.method, 'none');
    assert.match(slow.warnings[0] ?? '', /could not be reached/);
  });
});
