import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HubEnvelopeKey, HubTransferStatus } from '@lx/contracts';
import { hubRequest, hubUrl, multipartUpload, sealEnvelope, type HubTransport } from '../../src/adapters/hub-client/index.js';
import { createApiApp } from '../../src/main/api.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import type { App } from '../../src/http/app.js';
import { freePort, httpsGet, renderShippedSite, startNginx, type NginxProcess } from '../../../../deploy/test/nginx.js';
import { generatePki, pem, type TestPki } from '../../../../deploy/test/tls.js';
import { createTestDatabase, type TestDatabase } from '../helpers/engines.js';
import { signIn, SPA_ORIGIN, STRONG_PASSWORD } from './ingest-support.js';
import { configFrom } from '../helpers/env.js';
import { ACTOR, baseEnv, CENTER_KEY, createPayload, filePartOf, HUB_NODE, makeValidatedReport, makeValidatedVideo, NODE_SECRET, Recorder, secretFile, SITE_NODE, SlowLink, spawnCli, waitFor, type SiteVideo } from './hub-support.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/** The hub's upload cap in this suite: above every regular upload here (≤ 3 MiB + envelope), below the 413 case. */
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

describe('hub transfer: site (SQLite) → nginx TLS + mTLS → hub (PostgreSQL)', () => {
  let root: string;
  let pki: TestPki;
  let hubDb: TestDatabase;
  let siteDb: TestDatabase;
  let hub: Runtime;
  let site: Runtime;
  let hubApp: App;
  let appPort: number;
  let nginx: NginxProcess;
  let httpsPort: number;
  let siteEnv: Record<string, string>;
  let hubEnv: Record<string, string>;
  let siteCenterId: number;
  const recorder = new Recorder();
  let transport: HubTransport;
  const credentials = { nodeKey: SITE_NODE, secret: NODE_SECRET };
  let v1: SiteVideo;
  let v1Receipt: unknown;

  const hubBase = (): string => `https://localhost:${httpsPort}`;
  const transferRow = (key: string) => hub.db.selectFrom('hub_transfer_jobs').selectAll().where('transfer_key', '=', key).execute();
  const outboundOf = (videoId: number) => site.db.selectFrom('outbound_hub_transfer_jobs').selectAll().where('video_file_id', '=', videoId).executeTakeFirstOrThrow();
  const hubFileSha = async (path: string): Promise<string> => {
    const hash = createHash('sha256');
    for await (const c of await (await hub.storage.service()).read(path)) hash.update(c as Buffer);
    return hash.digest('hex');
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'lx-hub-'));
    const state = join(root, 'state');
    pki = generatePki(join(state, 'ssl'), 'localhost');
    const hubKey = join(root, 'hub-recipient.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'X25519', '-out', hubKey]);
    [hubDb, siteDb] = await Promise.all([createTestDatabase('postgres'), createTestDatabase('sqlite')]);
    hubEnv = baseEnv(hubDb.env, join(root, 'hub-data'), { ENDOREG_DEPLOYMENT_ROLE: 'central_hub', ENDOREG_ENABLE_HUB_TRANSFERS: '1', ENDOREG_HUB_TRANSFER_RECIPIENT_PRIVATE_KEY_FILES: hubKey, ENDOREG_HUB_TRANSFER_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
    hub = compose(configFrom(hubEnv));
    hubApp = createApiApp(hub);
    appPort = await freePort();
    await hubApp.listen({ port: appPort, host: '127.0.0.1' });
    const upstreamPort = await freePort();
    await recorder.listen(upstreamPort, appPort);
    httpsPort = await freePort();
    const httpPort = await freePort();
    nginx = await startNginx(join(root, 'nginx'), renderShippedSite({ stateDir: state, host: 'localhost', httpsPort, httpPort, upstreamPort }), [httpsPort, httpPort]);

    siteEnv = baseEnv(siteDb.env, join(root, 'site-data'), {
      ENDOREG_DEPLOYMENT_ROLE: 'site_node',
      LX_ANNOTATE_HUB_EXPORT_CLIENT_CERT_FILE: pki.clientCert,
      LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE: pki.clientKey,
      LX_ANNOTATE_HUB_EXPORT_CA_FILE: pki.serverCert,
      LX_ANNOTATE_HUB_SOURCE_NODE_SECRET_FILE: secretFile(root, NODE_SECRET),
      DJANGO_CSRF_TRUSTED_ORIGINS: SPA_ORIGIN,
      DJANGO_CORS_ALLOWED_ORIGINS: SPA_ORIGIN,
    });
    site = compose(configFrom(siteEnv));
    transport = { cert: pem(pki.clientCert), key: pem(pki.clientKey), ca: pem(pki.serverCert) };

    await hub.centers.ensureCenter({ name: 'Klinik A', centerKey: CENTER_KEY });
    await hub.hub.nodes.add('test', { displayName: 'Klinik A', role: 'site_node', nodeKey: SITE_NODE, baseUrl: '', centerKey: CENTER_KEY, secret: NODE_SECRET });
    await hub.hub.nodes.add('test', { displayName: 'Zentrale', role: 'central_hub', nodeKey: HUB_NODE, baseUrl: hubBase() });
    siteCenterId = (await site.centers.ensureCenter({ name: 'Klinik A', centerKey: CENTER_KEY })).id;
    await site.hub.nodes.add('test', { displayName: 'Klinik A', role: 'site_node', nodeKey: SITE_NODE, baseUrl: '', centerKey: CENTER_KEY });
    await site.hub.nodes.add('test', { displayName: 'Zentrale', role: 'central_hub', nodeKey: HUB_NODE, baseUrl: hubBase() });
  });

  after(async () => {
    await nginx?.stop();
    await recorder.close();
    await hubApp?.close();
    await hub?.close();
    await site?.close();
    await hubDb?.dispose();
    await siteDb?.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  test('a validated video goes from site to hub inside a 3.0 envelope and arrives byte-identical', async () => {
    v1 = await makeValidatedVideo(site, siteCenterId, Buffer.from('ENDOSKOPIE-FRAME Mustermann Erika 1961-02-03 '.repeat(40_000)), 1);
    const overview = await site.hub.exports.overview(ACTOR, undefined);
    assert.equal(overview.config_ready, true, overview.config_error);
    assert.equal(overview.items.find((i) => i.id === v1.id)?.eligible, true);
    assert.equal(overview.privacy_summary.min_k, 5);
    assert.deepEqual(await site.hub.exports.mark(ACTOR, { resources: [{ resource_kind: 'video', id: v1.id }] }), { marked_count: 1, target_node_key: HUB_NODE });
    const job = await outboundOf(v1.id);
    assert.equal(job.local_status, 'marked');
    assert.equal(job.transfer_key, `${SITE_NODE}__video__${v1.videoHash}__processed_v1`);
    assert.equal(await site.hub.exports.queueMarked(ACTOR, undefined), 1);
    assert.equal(await site.hub.sender.run(job.id), 'completed');

    const [remote] = await transferRow(job.transfer_key);
    assert.equal(remote?.transfer_status, 'applied');
    assert.equal(remote?.payload_schema_version, '3.0');
    assert.equal(await hubFileSha(remote?.stored_media_path as string), sha(v1.plaintext), 'decrypted hub file equals the site plaintext');
    assert.equal(await (await hub.storage.service()).isEncrypted(remote?.stored_media_path as string), true);
    const local = await outboundOf(v1.id);
    assert.equal(local.local_status, 'completed');
    assert.equal(local.local_cleanup_status, 'retained');
    v1Receipt = JSON.parse(local.envelope_receipt as string);
    assert.equal((v1Receipt as { plaintext_sha256: string }).plaintext_sha256, v1.processedSha256);

    const upload = recorder.seen.find((r) => r.url.endsWith(`${encodeURIComponent(job.transfer_key)}/media/`) && r.status === 200);
    assert.ok(upload, 'the media upload passed the recorder');
    assert.equal(upload.headers['x-client-cert-verified'], 'SUCCESS');
    assert.equal(upload.body.includes(Buffer.from('Mustermann')), false, 'the captured 3.0 body reveals nothing of the plaintext');
    assert.equal(upload.body.includes(v1.plaintext.subarray(1000, 1032)), false);
    const create = recorder.seen.find((r) => r.method === 'POST' && r.url === '/api/media/hub/transfers/');
    assert.ok(create && !create.body.includes(Buffer.from('Mustermann')) && !create.body.includes(Buffer.from('1961')), 'no identifying field in the metadata');
    assert.equal(JSON.parse(create.body.toString('utf8')).resource_rows.video_state.ready_for_export, true, 'an eligible video is sent as ready for export');
  });

  test('a validated report goes to the hub with its anonymized text and processed PDF; the raw text stays on the site', async () => {
    const r1 = await makeValidatedReport(site, siteCenterId, 1);
    const overview = await site.hub.exports.overview(ACTOR, undefined);
    const item = overview.items.find((i) => i.resource_kind === 'report' && i.id === r1.id);
    assert.deepEqual([item?.eligible, item?.resource_hash], [true, r1.pdfHash]);
    assert.ok(overview.privacy_summary.classes.some((c) => c.resource_kind === 'report' && c.exam_year === '2023' && c.age_band === '60-69' && c.gender === 'male'));
    assert.equal((await site.hub.exports.mark(ACTOR, { resources: [{ resource_kind: 'report', id: r1.id }] })).marked_count, 1);
    const job = await site.db.selectFrom('outbound_hub_transfer_jobs').selectAll().where('pdf_file_id', '=', r1.id).executeTakeFirstOrThrow();
    assert.deepEqual([job.resource_kind, job.video_file_id, job.transfer_key], ['report', null, `${SITE_NODE}__report__${r1.pdfHash}__processed_v1`]);
    assert.equal(await site.hub.exports.queueMarked(ACTOR, undefined), 1);
    assert.equal(await site.hub.sender.run(job.id), 'completed');

    const [remote] = await transferRow(job.transfer_key);
    assert.deepEqual([remote?.resource_kind, remote?.transfer_status, remote?.payload_schema_version], ['report', 'applied', '3.0']);
    assert.equal(await hubFileSha(remote?.stored_media_path as string), sha(r1.plaintext), 'the hub holds the processed PDF byte-identical');
    const hubPdf = await hub.db.selectFrom('pdf_files as p').innerJoin('pdf_states as s', 's.pdf_file_id', 'p.id').selectAll().where('p.pdf_hash', '=', r1.pdfHash).executeTakeFirstOrThrow();
    assert.equal(hubPdf.text, null, 'no raw text on the hub');
    assert.match(String(hubPdf.anonymized_text), /\[NAME\]/);
    assert.deepEqual([Boolean(hubPdf.anonymization_validated), hubPdf.processed_file_sha256], [true, r1.processedSha256]);
    const create = recorder.seen.find((r) => r.method === 'POST' && r.url === '/api/media/hub/transfers/' && r.body.includes(Buffer.from(r1.pdfHash)));
    assert.ok(create, 'the report create passed the recorder');
    assert.equal(create.body.includes(Buffer.from('Mustermann')), false, 'the raw text (with the name) never left the site');
    assert.equal(create.body.includes(Buffer.from('1958')), false);
    assert.equal((await site.db.selectFrom('outbound_hub_transfer_jobs').select('local_status').where('id', '=', job.id).executeTakeFirstOrThrow()).local_status, 'completed');
  });

  test('exact envelope replay returns the same receipt; a changed replay is 409 inconsistent; a flipped bit is refused and the stored file stays', async () => {
    const key = `${SITE_NODE}__video__${v1.videoHash}__processed_v1`;
    const [before] = await transferRow(key);
    const storedAbsolute = await (await hub.storage.service()).resolve(before?.stored_media_path as string);
    const diskBefore = { sha: sha(readFileSync(storedAbsolute)), mtime: statSync(storedAbsolute).mtimeMs };
    const captured = filePartOf(recorder.seen.find((r) => r.url.endsWith(`${encodeURIComponent(key)}/media/`) && r.status === 200) as never);
    const url = hubUrl(hubBase(), `api/media/hub/transfers/${encodeURIComponent(key)}/media/`);
    const send = (bytes: Buffer) => hubRequest(transport, credentials, 'POST', url, multipartUpload('replay.lxhenv', bytes.length, once(bytes)));

    const replay = await send(captured);
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    assert.deepEqual((replay.body as HubTransferStatus).envelope_receipt, v1Receipt);

    const published = HubEnvelopeKey.parse((await hubRequest(transport, credentials, 'GET', hubUrl(hubBase(), 'api/media/hub/transfers/envelope-key/'))).body);
    const sealed = sealEnvelope(once(v1.plaintext), { recipientPublicKey: published.public_key, recipientKeyId: published.key_id, targetNodeKey: HUB_NODE, transferKey: key, plaintextBytes: v1.plaintext.length });
    const fresh: Buffer[] = [];
    for await (const c of sealed.body) fresh.push(c);
    const changed = await send(Buffer.concat(fresh));
    assert.equal(changed.status, 409);
    assert.equal((changed.body as { error: string }).error, 'inconsistent');

    const flipped = Buffer.from(captured);
    flipped[flipped.length - 300] = (flipped[flipped.length - 300] as number) ^ 0x04;
    const refused = await send(flipped);
    assert.equal(refused.status, 400);
    assert.match(String((refused.body as { detail: string }).detail), /authentication/);
    assert.deepEqual({ sha: sha(readFileSync(storedAbsolute)), mtime: statSync(storedAbsolute).mtimeMs }, diskBefore, 'the stored file was not replaced');
    const [afterRow] = await transferRow(key);
    assert.equal(JSON.parse(afterRow?.provenance as string).media_uploads.length, 1);
  });

  test('a field sender of schema 2.0 uploads a plain file; a 3.0 transfer refuses plaintext uploads', async () => {
    const v2 = await makeValidatedVideo(site, siteCenterId, randomBytes(300_000), 2);
    const created = await hubRequest(transport, credentials, 'POST', hubUrl(hubBase(), 'api/media/hub/transfers/'), { json: createPayload(v2, '2.0') });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((created.body as HubTransferStatus).transfer_status, 'awaiting_media');
    const key = (created.body as HubTransferStatus).transfer_key;
    const uploaded = await hubRequest(transport, credentials, 'POST', hubUrl(hubBase(), `api/media/hub/transfers/${key}/media/`), multipartUpload(`${v2.processedSha256}.mp4`, v2.plaintext.length, once(v2.plaintext)));
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    assert.equal((uploaded.body as HubTransferStatus).transfer_status, 'applied');
    assert.equal(await hubFileSha((await transferRow(key))[0]?.stored_media_path as string), sha(v2.plaintext));

    const v3 = await makeValidatedVideo(site, siteCenterId, randomBytes(50_000), 3);
    const created3 = await hubRequest(transport, credentials, 'POST', hubUrl(hubBase(), 'api/media/hub/transfers/'), { json: createPayload(v3, '3.0') });
    assert.equal(created3.status, 201);
    const key3 = (created3.body as HubTransferStatus).transfer_key;
    const plain = await hubRequest(transport, credentials, 'POST', hubUrl(hubBase(), `api/media/hub/transfers/${key3}/media/`), multipartUpload('x.mp4', v3.plaintext.length, once(v3.plaintext)));
    assert.deepEqual([plain.status, plain.body], [400, { detail: 'plaintext uploads are prohibited' }]);
    assert.equal((await transferRow(key3))[0]?.transfer_status, 'awaiting_media');
  });

  test('an upload above ENDOREG_HUB_TRANSFER_MAX_UPLOAD_BYTES is 413, audited, and stores nothing', async () => {
    const big = await makeValidatedVideo(site, siteCenterId, randomBytes(MAX_UPLOAD_BYTES + 512 * 1024), 12);
    const created = await hubRequest(transport, credentials, 'POST', hubUrl(hubBase(), 'api/media/hub/transfers/'), { json: createPayload(big, '2.0') });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = (created.body as HubTransferStatus).transfer_key;
    const refused = await hubRequest(transport, credentials, 'POST', hubUrl(hubBase(), `api/media/hub/transfers/${key}/media/`), multipartUpload(`${big.processedSha256}.mp4`, big.plaintext.length, once(big.plaintext)));
    assert.deepEqual([refused.status, refused.body], [413, { detail: 'Uploaded media exceeds ENDOREG_HUB_TRANSFER_MAX_UPLOAD_BYTES' }]);
    const row = (await transferRow(key))[0];
    assert.equal(row?.transfer_status, 'awaiting_media');
    assert.equal(row?.stored_media_path ?? null, null);
    const audited = await hub.db.selectFrom('audit_ledger').select('data').where('action', '=', 'hub.transfer_refused').execute();
    assert.ok(audited.some((a) => JSON.parse(a.data).reason === 'upload_too_large'));
  });

  test('a hub that publishes no recipient key gets schema 2.0 from our sender', async () => {
    const { ENDOREG_HUB_TRANSFER_RECIPIENT_PRIVATE_KEY_FILES: _keys, ...withoutKeys } = hubEnv;
    const plainHub = compose(configFrom(withoutKeys));
    const plainApp = createApiApp(plainHub);
    const port = await freePort();
    await plainApp.listen({ port, host: '127.0.0.1' });
    const previous = recorder.appPort;
    recorder.appPort = port;
    try {
      const v = await makeValidatedVideo(site, siteCenterId, Buffer.from('SCHEMA-ZWEI-KLARTEXT '.repeat(5000)), 8);
      await site.hub.exports.mark(ACTOR, { resources: [{ resource_kind: 'video', id: v.id }] });
      const job = await outboundOf(v.id);
      await site.hub.exports.queueMarked(ACTOR, undefined);
      assert.equal(await site.hub.sender.run(job.id), 'completed');
      const [row] = await transferRow(job.transfer_key);
      assert.equal(row?.payload_schema_version, '2.0');
      assert.equal(await hubFileSha(row?.stored_media_path as string), sha(v.plaintext));
      const upload = recorder.seen.find((r) => r.url.endsWith(`${encodeURIComponent(job.transfer_key)}/media/`));
      assert.ok(upload?.body.includes(Buffer.from('SCHEMA-ZWEI-KLARTEXT')), '2.0 sends the file itself (protected by TLS only)');
    } finally {
      recorder.appPort = previous;
      await plainApp.close();
      await plainHub.close();
    }
  });

  test('a replayed create returns the same job; the same key with another payload is 409', async () => {
    const payload = createPayload(v1, '3.0');
    const again = await hubRequest(transport, credentials, 'POST', hubUrl(hubBase(), 'api/media/hub/transfers/'), { json: payload });
    assert.equal(again.status, 200);
    assert.equal((again.body as HubTransferStatus).id, (await transferRow(payload.transfer_key))[0]?.id);
    const other = createPayload({ ...v1, videoHash: 'f'.repeat(64) }, '3.0', { transfer_key: payload.transfer_key });
    const conflict = await hubRequest(transport, credentials, 'POST', hubUrl(hubBase(), 'api/media/hub/transfers/'), { json: other });
    assert.deepEqual([conflict.status, conflict.body], [409, { error: 'transfer_key already exists for a different transfer payload' }]);
    assert.equal((await transferRow(payload.transfer_key)).length, 1);
  });

  test('payload rules: schema version, raw media, hashes, pseudonymous meta only, no raw PDF text; 404 where the receiver is off', async () => {
    const v = await makeValidatedVideo(site, siteCenterId, randomBytes(1000), 5);
    const post = (body: unknown) => hubRequest(transport, credentials, 'POST', hubUrl(hubBase(), 'api/media/hub/transfers/'), { json: body });
    const base = createPayload(v, '2.0');
    const cases: Array<[unknown, string]> = [
      [{ ...base, payload_schema_version: '1.0' }, 'payload_schema_version'],
      [{ ...base, transfer_mode: 'metadata_and_raw_media' }, 'transfer_mode'],
      [{ ...base, resource_hash: 'a'.repeat(64) }, 'resource_hash'],
      [{ ...base, resource_rows: { ...base.resource_rows, sensitive_meta: { ...base.resource_rows.sensitive_meta, patient_first_name: 'Erika' } } }, 'resource_rows'],
      [{ ...base, resource_rows: { ...base.resource_rows, video_state: { ...base.resource_rows.video_state, anonymization_validated: false } } }, 'resource_rows'],
      [{ ...base, resource_kind: 'report', resource_rows: { raw_pdf_file: { pdf_hash: v.videoHash, anonymized_text: 'x', text: 'Erika Mustermann' } } }, 'resource_rows'],
      [{ ...base, source_center_key: 'andere-klinik' }, 'source_center_key'],
    ];
    for (const [body, field] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body)}`);
      assert.ok(field in (r.body as Record<string, unknown>), `${field} named in ${JSON.stringify(r.body)}`);
    }
    assert.equal((await transferRow(base.transfer_key)).length, 0);
    const off = await site.hub.receiver.create({ secure: true, headers: {}, actor: undefined, route: 'create' }, base);
    assert.deepEqual(off, { status: 404, body: { detail: 'Not found.' } });
  });

  test('sender eligibility: a state change blocks a marked video, marking it again is refused, unmark removes the row', async () => {
    const v = await makeValidatedVideo(site, siteCenterId, randomBytes(2000), 6);
    await site.hub.exports.mark(ACTOR, { resources: [{ resource_kind: 'video', id: v.id }] });
    assert.deepEqual(await site.hub.recovery.reevaluate({ changed: true }), { blocked: 0, queued: 0 }, 'nothing changed since marking');
    // Any write path counts: the database triggers of migration 0010 see this raw update too.
    await site.db.updateTable('video_states').set({ anonymization_validated: false }).where('video_file_id', '=', v.id).execute();
    assert.equal(Number((await outboundOf(v.id)).state_change_seq), 1);
    assert.deepEqual(await site.hub.recovery.reevaluate({ changed: true }), { blocked: 1, queued: 0 });
    assert.equal((await outboundOf(v.id)).last_error, 'not_ready_for_export');
    assert.deepEqual(await site.hub.recovery.reevaluate({ changed: true }), { blocked: 0, queued: 0 }, 'a seen change is not evaluated twice');
    const item = (await site.hub.exports.overview(ACTOR, HUB_NODE)).items.find((i) => i.id === v.id);
    assert.deepEqual([item?.eligible, item?.blocked_reason, item?.job?.local_status], [false, 'not_ready_for_export', 'marked']);
    const other = await makeValidatedVideo(site, siteCenterId, randomBytes(2000), 7);
    await site.db.updateTable('video_states').set({ anonymization_validated: false }).where('video_file_id', '=', other.id).execute();
    await assert.rejects(site.hub.exports.mark(ACTOR, { resources: [{ resource_kind: 'video', id: other.id }] }), /kann nicht exportiert werden/);
    const scoped = { ...ACTOR, isSuperuser: false, centerIds: [siteCenterId + 100] };
    assert.equal((await site.hub.exports.unmark(scoped, { resources: [{ resource_kind: 'video', id: v.id }] })).unmarked_count, 0, 'center scope');
    assert.deepEqual(await site.hub.exports.unmark(ACTOR, { resources: [{ resource_kind: 'video', id: v.id }] }), { unmarked_count: 1, target_node_key: HUB_NODE });
  });

  test('state changes re-evaluate the export rows: a queued report whose state is reset fails with its reason; validated again, the reason clears', async () => {
    const r = await makeValidatedReport(site, siteCenterId, 8);
    await site.hub.exports.mark(ACTOR, { resources: [{ resource_kind: 'report', id: r.id }] });
    const rowOf = () => site.db.selectFrom('outbound_hub_transfer_jobs').selectAll().where('pdf_file_id', '=', r.id).executeTakeFirstOrThrow();
    const marked = await rowOf();
    // Queue it without a worker serving the queue: the row waits as `queued`, like a busy site.
    await site.db.updateTable('outbound_hub_transfer_jobs').set({ local_status: 'queued' }).where('id', '=', marked.id).execute();
    await site.db.updateTable('pdf_files').set({ processed_file: null }).where('id', '=', r.id).execute();
    assert.deepEqual(await site.hub.recovery.reevaluate({ changed: true }), { blocked: 1, queued: 0 });
    assert.deepEqual([(await rowOf()).local_status, (await rowOf()).last_error], ['failed', 'missing_processed_file']);

    const r2 = await makeValidatedReport(site, siteCenterId, 9);
    await site.hub.exports.mark(ACTOR, { resources: [{ resource_kind: 'report', id: r2.id }] });
    const row2 = () => site.db.selectFrom('outbound_hub_transfer_jobs').selectAll().where('pdf_file_id', '=', r2.id).executeTakeFirstOrThrow();
    await site.db.updateTable('pdf_states').set({ anonymization_validated: false }).where('pdf_file_id', '=', r2.id).execute();
    await site.hub.recovery.reevaluate({ changed: true });
    assert.deepEqual([(await row2()).local_status, (await row2()).last_error], ['marked', 'not_ready_for_export']);
    await site.db.updateTable('pdf_states').set({ anonymization_validated: true }).where('pdf_file_id', '=', r2.id).execute();
    await site.hub.recovery.reevaluate({ changed: true });
    assert.deepEqual([(await row2()).local_status, (await row2()).last_error], ['marked', '']);
    await site.hub.exports.unmark(ACTOR, { resources: [{ resource_kind: 'report', id: r2.id }] });

    // A video waits for its outside-segment cleanup: pending and failed block it, done releases it.
    const v = await makeValidatedVideo(site, siteCenterId, randomBytes(2000), 10);
    await site.hub.exports.mark(ACTOR, { resources: [{ resource_kind: 'video', id: v.id }] });
    const cleanup = (status: string) =>
      site.db.insertInto('video_segment_status').values({ video_file_id: v.id, status, updated_at: new Date().toISOString() }).onConflict((oc) => oc.column('video_file_id').doUpdateSet({ status })).execute();
    for (const [status, reason] of [['cleanup_queued', 'segment_cleanup_pending'], ['cleanup_running', 'segment_cleanup_pending'], ['cleanup_failed', 'segment_cleanup_failed'], ['validated', '']] as const) {
      await cleanup(status);
      await site.hub.recovery.reevaluate({ changed: true });
      assert.equal((await outboundOf(v.id)).last_error, reason, status);
    }
    await cleanup('cleanup_running');
    await assert.rejects(site.hub.exports.mark(ACTOR, { resources: [{ resource_kind: 'video', id: v.id }] }), /segment_cleanup_pending/);
    await site.hub.exports.unmark(ACTOR, { resources: [{ resource_kind: 'video', id: v.id }] });
  });

  test('the hub-export routes: overview for the page, mark/unmark error shapes and aliases, the role check', async () => {
    const siteApp = createApiApp(site);
    await siteApp.listen({ port: 0, host: '127.0.0.1' });
    const address = siteApp.server.address();
    const base = `http://localhost:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      await site.auth.users.create({ username: 'registrar', roles: ['hub-export:write'], centerKeys: [CENTER_KEY], password: STRONG_PASSWORD }, 'test');
      await site.auth.users.create({ username: 'reader', roles: ['video:read'], centerKeys: [CENTER_KEY], password: STRONG_PASSWORD }, 'test');
      const session = await signIn(base, 'registrar');
      const call = async (method: string, path: string, body?: unknown) => {
        const r = await fetch(`${base}/api/hub-export/${path}`, { method, headers: { ...session.headers, 'content-type': 'application/json', origin: SPA_ORIGIN }, body: body === undefined ? undefined : JSON.stringify(body) });
        return { status: r.status, body: (await r.json()) as any };
      };
      const overview = await call('GET', `overview/?target_node_key=${HUB_NODE}`);
      assert.equal(overview.status, 200);
      assert.equal(overview.body.selected_target_node_key, HUB_NODE);
      assert.ok(overview.body.items.some((i: any) => i.id === v1.id && i.job?.local_status === 'completed'));
      assert.equal(typeof overview.body.privacy_summary.satisfies_k, 'boolean');
      assert.deepEqual(await call('POST', 'mark/', { resources: [] }), { status: 400, body: { errors: { resources: ['resources: Too small: expected array to have >=1 items'] } } });
      const unknownHub = await call('POST', 'mark/', { target_node_key: 'nirgendwo', resources: [{ resource_kind: 'video', id: v1.id }] });
      assert.equal(unknownHub.status, 409);
      assert.ok(unknownHub.body.errors.target_node_key);
      const v = await makeValidatedVideo(site, siteCenterId, randomBytes(1000), 9);
      await site.db.updateTable('video_states').set({ anonymized: false, anonymization_validated: false }).where('video_file_id', '=', v.id).execute();
      const ineligible = await call('POST', 'mark/', { resources: [{ resourceKind: 'video', id: v.id }] });
      assert.equal(ineligible.status, 400);
      assert.match(ineligible.body.detail, /kann nicht exportiert werden/);
      assert.deepEqual(await call('POST', 'unmark/', { targetNodeKey: HUB_NODE, resources: [{ kind: 'video', id: v1.id }] }), { status: 200, body: { unmarked_count: 0, target_node_key: HUB_NODE } });
      const reader = await signIn(base, 'reader');
      const denied = await fetch(`${base}/api/hub-export/overview/`, { headers: reader.headers });
      assert.equal(denied.status, 403);
    } finally {
      await siteApp.close();
    }
  });

  test('no client certificate, a certificate of another CA, a forged attestation header and a wrong secret are refused', async () => {
    const key = `${SITE_NODE}__video__${v1.videoHash}__processed_v1`;
    const path = `/api/media/hub/transfers/${key}/status/`;
    const auth = { 'x-network-node-key': SITE_NODE, 'x-network-node-secret': NODE_SECRET };
    assert.equal((await httpsGet(httpsPort, 'localhost', path, { headers: auth })).status, 403, 'no client certificate');
    assert.equal((await httpsGet(httpsPort, 'localhost', path, { headers: auth, cert: pem(pki.strangerCert), key: pem(pki.strangerKey) })).status, 403, 'certificate of another CA');
    const forged = { ...auth, 'x-client-cert-verified': 'SUCCESS' };
    assert.equal((await httpsGet(httpsPort, 'localhost', path, { headers: forged })).status, 403, 'forged header on the mTLS location');
    const alias = await httpsGet(httpsPort, 'localhost', `/endoreg-api/media/hub/transfers/${key}/status/`, { headers: forged });
    assert.deepEqual([alias.status, JSON.parse(alias.body.toString())], [403, { detail: 'Hub transfer requires proxy-verified mutual TLS client authentication' }], 'nginx strips the forged header elsewhere');
    const direct = await fetch(`http://127.0.0.1:${appPort}${path}`, { headers: { ...forged, host: 'localhost' } });
    assert.deepEqual([direct.status, await direct.json()], [403, { detail: 'Hub transfer requires HTTPS or equivalent secure transport' }], 'the attestation header alone does not pass without TLS');

    const wrong = await hubRequest(transport, { nodeKey: SITE_NODE, secret: 'wrong-secret-0123456789-abcdefghij' }, 'GET', hubUrl(hubBase(), path));
    assert.deepEqual([wrong.status, wrong.body], [403, { detail: 'Invalid network node credentials for this transfer' }]);
    assert.equal((await hubRequest(transport, credentials, 'GET', hubUrl(hubBase(), path))).status, 200);

    const ledger = await hub.db.selectFrom('audit_ledger').select(['action', 'data']).where('action', 'in', ['hub.transfer_refused', 'hub.transfer_node_auth_failed']).execute();
    assert.ok(ledger.some((e) => e.action === 'hub.transfer_node_auth_failed' && JSON.parse(e.data).reason === 'shared_secret_mismatch'));
    assert.ok(ledger.some((e) => JSON.parse(e.data).reason === 'mtls_not_verified'));
    assert.ok(ledger.every((e) => !e.data.includes('wrong-secret') && !e.data.includes(NODE_SECRET)), 'no secret in the audit ledger');
  });

  test('killing the sender mid-upload and running hub recover completes the transfer exactly once', { timeout: 120_000 }, async () => {
    const v4 = await makeValidatedVideo(site, siteCenterId, randomBytes(3 * 1024 * 1024), 4);
    await site.hub.exports.mark(ACTOR, { resources: [{ resource_kind: 'video', id: v4.id }] });
    const job = await outboundOf(v4.id);
    const mediaUrl = `${encodeURIComponent(job.transfer_key)}/media/`;
    // The sender reaches the hub through a slow link for this transfer only.
    const slow = new SlowLink();
    const slowPort = await freePort();
    await slow.listen(slowPort, httpsPort, 256 * 1024);
    const setHubUrl = (url: string) => site.db.updateTable('network_nodes').set({ base_url: url }).where('node_key', '=', HUB_NODE).execute();
    await setHubUrl(`https://localhost:${slowPort}`);
    assert.equal(await site.hub.exports.queueMarked(ACTOR, undefined), 1);
    const worker = spawnCli(['worker', '--queues', 'hub_transfer'], siteEnv);
    try {
      await waitFor('the upload to be under way', async () => {
        const row = await outboundOf(v4.id);
        const upload = recorder.seen.find((r) => r.url.endsWith(mediaUrl));
        return row.local_status === 'uploading' && upload && upload.body.length > 128 * 1024 ? true : undefined;
      });
      worker.child.kill('SIGKILL');
      await worker.done;
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      await slow.close();
      await setHubUrl(hubBase());
    }
    assert.equal((await outboundOf(v4.id)).local_status, 'uploading');
    await waitFor('the hub to drop the aborted upload', async () => ((await transferRow(job.transfer_key))[0]?.transfer_status === 'awaiting_media' ? true : undefined));

    const recovered = await spawnCli(['hub', 'recover', '--stale-after', '0', '--run'], siteEnv).done;
    assert.equal(recovered.code, 0, recovered.output);
    const summary = JSON.parse(recovered.output.trim().split('\n').pop() as string);
    assert.equal(summary.redispatched, 1, recovered.output);
    assert.equal(summary.run.completed, 1);

    const rows = await transferRow(job.transfer_key);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.transfer_status, 'applied');
    assert.equal(JSON.parse(rows[0]?.provenance as string).media_uploads.length, 1, 'media applied exactly once');
    assert.equal(await hubFileSha(rows[0]?.stored_media_path as string), sha(v4.plaintext));
    const local = await outboundOf(v4.id);
    assert.equal(local.local_status, 'completed');
    const hubVideos = await hub.db.selectFrom('video_files').select('id').where('video_hash', '=', v4.videoHash).execute();
    assert.equal(hubVideos.length, 1);
    const staging = await hub.storage.service().then((s) => s.resolve('hub_transfers/staging'));
    assert.deepEqual(
      (await import('node:fs')).readdirSync(staging).filter((f) => !f.startsWith('.')),
      [],
      'no staging leftovers',
    );
  });
});
