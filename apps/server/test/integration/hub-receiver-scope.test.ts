// Step 6 of the hub receiver (reference-contracts §4.1): when a signed-in user is attached to a
// transfer request, the transfer's source center must be within that user's scope. Runs the real
// api app of a central_hub through app.inject (no nginx): the request comes from 127.0.0.1, a
// configured trusted proxy, so X-Forwarded-Proto and the mTLS attestation header are believed the
// way nginx would set them. PostgreSQL only: the configuration refuses a central_hub on SQLite.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HubTransferCreate } from '@lx/contracts';
import type { App } from '../../src/http/app.js';
import { CSRF_COOKIE, SESSION_COOKIE } from '../../src/features/auth/index.js';
import { metaKeyToHeader } from '../../src/features/hub/receiver.service.js';
import { createLogger } from '../../src/log/logger.js';
import { createApiApp } from '../../src/main/api.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { createTestDatabase, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';

const SITE_NODE = 'klinik-a-site';
const HUB_NODE = 'zentrale';
const NODE_SECRET = 'site-secret-0123456789-abcdefghij';
const PASSWORD = 'Sommer-Endoskopie-7';
const CENTER_SCOPE = { detail: 'You do not have access to this center.' };

const sha = (value: string): string => createHash('sha256').update(value).digest('hex');

/** A valid schema-2.0 metadata-only video transfer of center A's node (hashes only, nothing identifying). */
function payload(n: string): HubTransferCreate {
  const videoHash = sha(`raw-video-${n}`);
  const processed = sha(`processed-${n}`);
  return {
    transfer_key: `${SITE_NODE}__video__${videoHash}__processed_v1`,
    source_node_key: SITE_NODE,
    target_node_key: HUB_NODE,
    source_center_key: 'klinik-a',
    resource_kind: 'video',
    resource_hash: videoHash,
    transfer_mode: 'metadata_only',
    processing_policy: 'preserve_processing_state',
    processing_intent: 'sender_requests_state_preservation',
    cleanup_policy: 'retain_all',
    payload_schema_version: '2.0',
    resource_rows: {
      video_file: { video_hash: videoHash, processed_video_hash: processed, suffix: '.mp4', fps: 25, duration: 4, frame_count: 100, width: 640, height: 480 },
      video_state: { anonymized: true, anonymization_validated: true, processing_error: false, processed_file_sha256: processed },
      sensitive_meta: { patient_hash: sha(`p-${n}`), examination_hash: sha(`e-${n}`) },
      processing_history: { file_hash: videoHash, success: true },
    },
    processing_snapshot: { sender_processing_success: true },
    provenance: { entrypoint: 'field_sender' },
  };
}

describe('hub receiver: center scope of a signed-in caller (step 6) on postgres', () => {
  let t: TestDatabase;
  let dataRoot: string;
  let hub: Runtime;
  let app: App;
  let centerA: number;
  /** A transfer of center A created by the node alone (test 1), looked up by the status tests. */
  let baselineKey: string;
  const sessions: Record<'onlyB' | 'onlyA' | 'admin', string> = { onlyB: '', onlyA: '', admin: '' };

  /** What nginx adds after TLS + client-certificate verification, plus the node's own credentials. */
  const nodeHeaders = (overrides: Record<string, string> = {}): Record<string, string> => ({
    'x-forwarded-proto': 'https',
    [metaKeyToHeader(hub.settings.hub.mtlsMetaKey)]: hub.settings.hub.mtlsMetaValue,
    'x-network-node-key': SITE_NODE,
    'x-network-node-secret': NODE_SECRET,
    ...overrides,
  });
  const create = (body: HubTransferCreate, headers: Record<string, string>) => app.inject({ method: 'POST', url: '/api/media/hub/transfers/', headers, payload: body });
  const status = (key: string, headers: Record<string, string>) => app.inject({ method: 'GET', url: `/api/media/hub/transfers/${encodeURIComponent(key)}/status/`, headers });
  const transferCount = async (key: string): Promise<number> => (await hub.db.selectFrom('hub_transfer_jobs').select('id').where('transfer_key', '=', key).execute()).length;
  const auditSince = async (sequence: number) => hub.db.selectFrom('audit_ledger').selectAll().where('sequence', '>', sequence).orderBy('sequence').execute();
  const lastSequence = async (): Promise<number> => Number((await hub.db.selectFrom('audit_ledger').select('sequence').orderBy('sequence', 'desc').executeTakeFirst())?.sequence ?? 0);

  /** Local sign-in through the real auth routes; returns the signed session cookie as a Cookie header value. */
  async function signIn(username: string): Promise<string> {
    const first = await app.inject({ method: 'GET', url: '/api/auth/session/' });
    const csrf = first.cookies.find((c) => c.name === CSRF_COOKIE)?.value ?? '';
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login/',
      headers: { cookie: `${CSRF_COOKIE}=${csrf}`, 'x-csrftoken': csrf, 'content-type': 'application/json' },
      payload: { username, password: PASSWORD },
    });
    assert.equal(login.statusCode, 200, login.body);
    const session = login.cookies.find((c) => c.name === SESSION_COOKIE)?.value;
    assert.ok(session, `no session cookie for ${username}`);
    return `${SESSION_COOKIE}=${session}`;
  }

  before(async () => {
    t = await createTestDatabase('postgres');
    dataRoot = tempDataRoot('lx-hub-scope-');
    mkdirSync(join(dataRoot, 'storage'), { recursive: true });
    hub = compose(
      configFrom({
        DJANGO_ENV: 'test',
        DATA_DIR: dataRoot,
        ...t.env,
        DJANGO_SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop',
        DJANGO_ALLOWED_HOSTS: '127.0.0.1,localhost',
        LX_ANNOTATE_MASTER_KEY: randomBytes(32).toString('base64url'),
        LX_ANNOTATE_TRUSTED_PROXIES: '127.0.0.1',
        ENDOREG_DEPLOYMENT_ROLE: 'central_hub',
        ENDOREG_ENABLE_HUB_TRANSFERS: '1',
      }),
      { logger: createLogger({ level: 'silent' }) },
    );
    assert.equal(hub.settings.hub.requireSecureTransport && hub.settings.hub.requireMtls, true, 'a central_hub requires HTTPS and mTLS');
    app = createApiApp(hub);
    await app.ready();

    centerA = (await hub.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' })).id;
    await hub.centers.ensureCenter({ name: 'Klinik B', centerKey: 'klinik-b' });
    await hub.hub.nodes.add('test', { displayName: 'Klinik A', role: 'site_node', nodeKey: SITE_NODE, baseUrl: '', centerKey: 'klinik-a', secret: NODE_SECRET });
    await hub.hub.nodes.add('test', { displayName: 'Zentrale', role: 'central_hub', nodeKey: HUB_NODE, baseUrl: 'https://hub.example.org' });
    const users = hub.auth.users;
    await users.create({ username: 'only-b', password: PASSWORD, roles: ['data:write'], centerKeys: ['klinik-b'] }, 'test');
    await users.create({ username: 'only-a', password: PASSWORD, roles: ['data:write'], centerKeys: ['klinik-a'] }, 'test');
    await users.create({ username: 'root', password: PASSWORD, superuser: true }, 'test');
    sessions.onlyB = await signIn('only-b');
    sessions.onlyA = await signIn('only-a');
    sessions.admin = await signIn('root');
  });

  after(async () => {
    await app?.close();
    await hub?.close();
    await t?.dispose();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  test('the harness reaches the real checks: without the proxy headers the node is refused (steps 3 and 4)', async () => {
    const insecure = await create(payload('harness'), nodeHeaders({ 'x-forwarded-proto': 'http' }));
    assert.deepEqual([insecure.statusCode, insecure.json()], [403, { detail: 'Hub transfer requires HTTPS or equivalent secure transport' }]);
    const noMtls = await create(payload('harness'), nodeHeaders({ [metaKeyToHeader(hub.settings.hub.mtlsMetaKey)]: 'NONE' }));
    assert.deepEqual([noMtls.statusCode, noMtls.json()], [403, { detail: 'Hub transfer requires proxy-verified mutual TLS client authentication' }]);
    assert.equal(await transferCount(payload('harness').transfer_key), 0);
  });

  test('1. a create by the node without any session is accepted (201)', async () => {
    const body = payload('baseline');
    const r = await create(body, nodeHeaders());
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().source_center_key, 'klinik-a');
    baselineKey = body.transfer_key;
    assert.equal(await transferCount(baselineKey), 1);
  });

  test('2. a create for center A with the session of a user scoped to center B is 403, audited, and applies nothing', async () => {
    const body = payload('out-of-scope');
    const videosBefore = (await hub.db.selectFrom('video_files').select('id').execute()).length;
    const since = await lastSequence();
    const r = await create(body, nodeHeaders({ cookie: sessions.onlyB }));
    assert.equal(r.statusCode, 403, r.body);
    assert.deepEqual(r.json(), CENTER_SCOPE);
    assert.equal(await transferCount(body.transfer_key), 0, 'no transfer row');
    assert.equal((await hub.db.selectFrom('video_files').select('id').execute()).length, videosBefore, 'no metadata applied');

    const events = await auditSince(since);
    const refused = events.filter((e) => e.action === 'hub.transfer_refused');
    assert.equal(refused.length, 1, JSON.stringify(events));
    const event = refused[0] as (typeof events)[number];
    assert.equal(event.actor, 'only-b');
    assert.equal(event.object_type, 'hub_transfer');
    assert.equal(event.object_pk, body.transfer_key);
    const data = typeof event.data === 'string' ? JSON.parse(event.data) : event.data;
    assert.deepEqual(data, { route: 'create', status: 403, reason: 'center_scope', transfer_key: body.transfer_key });
    for (const e of events) assert.doesNotMatch(JSON.stringify(e), new RegExp(NODE_SECRET), `${e.action} must not carry the node secret`);
    assert.equal(events.some((e) => e.action === 'hub.transfer_created'), false);
  });

  test('step 5 comes before step 6: with a wrong node secret the out-of-scope user gets the credentials refusal', async () => {
    const r = await create(payload('order'), nodeHeaders({ cookie: sessions.onlyB, 'x-network-node-secret': 'wrong-secret-0123456789-abcdefghij' }));
    assert.deepEqual([r.statusCode, r.json()], [403, { detail: 'Invalid network node credentials for this transfer' }]);
  });

  test('3. the same create with the session of a user scoped to center A, or of an all-centers admin, is accepted', async () => {
    const inScope = payload('in-scope');
    const before = await lastSequence();
    const a = await create(inScope, nodeHeaders({ cookie: sessions.onlyA }));
    assert.equal(a.statusCode, 201, a.body);
    assert.equal(await transferCount(inScope.transfer_key), 1);
    const created = (await auditSince(before)).find((e) => e.action === 'hub.transfer_created');
    assert.equal(created?.actor, 'only-a', 'the signed-in caller is named in the audit event');
    const byAdmin = payload('admin');
    const admin = await create(byAdmin, nodeHeaders({ cookie: sessions.admin }));
    assert.equal(admin.statusCode, 201, admin.body);
    // The out-of-scope refusal of test 2 stored nothing, so the in-scope user can now create that very transfer.
    const retried = await create(payload('out-of-scope'), nodeHeaders({ cookie: sessions.onlyA }));
    assert.equal(retried.statusCode, 201, retried.body);
  });

  test('4. status of a center-A transfer: out-of-scope session 403, in-scope session and the node alone 200', async () => {
    const since = await lastSequence();
    const outside = await status(baselineKey, nodeHeaders({ cookie: sessions.onlyB }));
    assert.deepEqual([outside.statusCode, outside.json()], [403, CENTER_SCOPE]);
    const [event] = (await auditSince(since)).filter((e) => e.action === 'hub.transfer_refused');
    assert.equal(event?.actor, 'only-b');
    const data = typeof event?.data === 'string' ? JSON.parse(event.data) : event?.data;
    assert.deepEqual(data, { route: 'status', status: 403, reason: 'center_scope', transfer_key: baselineKey });

    for (const cookie of [sessions.onlyA, sessions.admin]) {
      const inside = await status(baselineKey, nodeHeaders({ cookie }));
      assert.equal(inside.statusCode, 200, inside.body);
      assert.equal(inside.json().transfer_key, baselineKey);
    }
    const nodeOnly = await status(baselineKey, nodeHeaders());
    assert.equal(nodeOnly.statusCode, 200, nodeOnly.body);
  });

  test('the media upload of a center-A transfer is refused to an out-of-scope session before its body is read', async () => {
    const boundary = 'lxscope';
    const form = `--${boundary}\r\nContent-Disposition: form-data; name="media_role"\r\n\r\nprocessed\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.mp4"\r\nContent-Type: application/octet-stream\r\n\r\nxyz\r\n--${boundary}--\r\n`;
    const r = await app.inject({
      method: 'POST',
      url: `/api/media/hub/transfers/${encodeURIComponent(baselineKey)}/media/`,
      headers: nodeHeaders({ cookie: sessions.onlyB, 'content-type': `multipart/form-data; boundary=${boundary}` }),
      payload: form,
    });
    assert.deepEqual([r.statusCode, r.json()], [403, CENTER_SCOPE]);
  });

  /*
   * Decision for credentials that identify nobody (garbage, tampered, forged or expired session
   * cookie, or an invalid Bearer token): they are treated exactly like no credential at all.
   * - They cannot bypass step 6: step 6 restricts what a *verified* user may do through the
   *   receiver; it is not what authorises a transfer (the node key + secret are). An unverifiable
   *   cookie is worth as much as leaving the cookie out, which any caller can always do, so it
   *   yields no scope wider than the node's own credentials: the node can still only send for its
   *   owning center (§4.3), and every transport and node check still runs.
   * - They do not break the node: a stale cookie on a sender must not turn a valid transfer into a
   *   refusal or a 500, so the transfer is answered as for the node alone.
   * Other cookies next to a valid session cookie do not drop it: the test after this one shows a
   * user scoped to B stays refused when junk cookies accompany the real session cookie.
   */
  test('garbage, tampered, forged and expired session cookies identify nobody: the node transfer proceeds as without a cookie', async () => {
    const bValue = sessions.onlyB.slice(SESSION_COOKIE.length + 1);
    const forged = app.signCookie(randomBytes(32).toString('base64url'));
    const cookies = [
      `${SESSION_COOKIE}=garbage`,
      `${SESSION_COOKIE}=`,
      `${SESSION_COOKIE}=${'x'.repeat(4000)}`,
      `${SESSION_COOKIE}=${encodeURIComponent(`${bValue.slice(0, -3)}AAA`)}`,
      `${SESSION_COOKIE}=${encodeURIComponent(forged)}`,
      `${SESSION_COOKIE}=%E0%A4%A`,
    ];
    for (const [i, cookie] of cookies.entries()) {
      const body = payload(`noise-${i}`);
      const since = await lastSequence();
      const r = await create(body, nodeHeaders({ cookie }));
      assert.equal(r.statusCode, 201, `${cookie.slice(0, 60)}: ${r.body}`);
      const events = await auditSince(since);
      assert.equal(events.some((e) => e.action === 'hub.transfer_refused' || e.action === 'auth.access_denied'), false, JSON.stringify(events));
      const st = await status(body.transfer_key, nodeHeaders({ cookie }));
      assert.equal(st.statusCode, 200, st.body);
    }

    // An expired session of the B-scoped user: removed on sight, the request runs as the node alone.
    const expiring = await signIn('only-b');
    const onlyB = await hub.db.selectFrom('users').select('id').where('username', '=', 'only-b').executeTakeFirstOrThrow();
    // Expires every session of only-b (including sessions.onlyB, signed in again below).
    await hub.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 60_000).toISOString() }).where('user_id', '=', Number(onlyB.id)).execute();
    const expired = await create(payload('expired'), nodeHeaders({ cookie: expiring }));
    assert.equal(expired.statusCode, 201, expired.body);
    const again = await status(baselineKey, nodeHeaders({ cookie: expiring }));
    assert.equal(again.statusCode, 200, 'the expired cookie stays anonymous, it does not come back to life');
    sessions.onlyB = await signIn('only-b');
  });

  test('an invalid Bearer token on a receiver route is anonymous as well, and noise never strips a valid session of its scope', async () => {
    const bearer = await create(payload('bearer-noise'), nodeHeaders({ authorization: 'Bearer not-a-token' }));
    assert.equal(bearer.statusCode, 201, bearer.body);

    const withNoise = await create(payload('b-with-noise'), nodeHeaders({ cookie: `${sessions.onlyB}; ${CSRF_COOKIE}=junk; other=1` }));
    assert.deepEqual([withNoise.statusCode, withNoise.json()], [403, CENTER_SCOPE]);
    const statusWithNoise = await status(baselineKey, nodeHeaders({ cookie: `other=1; ${sessions.onlyB}` }));
    assert.deepEqual([statusWithNoise.statusCode, statusWithNoise.json()], [403, CENTER_SCOPE]);
    assert.equal(await transferCount(payload('b-with-noise').transfer_key), 0);
  });

  test('the scope is read at request time: narrowing only-a to B refuses the same session, widening it again admits it', async () => {
    const users = hub.auth.users;
    await users.setCenters('only-a', ['klinik-b'], 'test');
    const narrowed = await status(baselineKey, nodeHeaders({ cookie: sessions.onlyA }));
    assert.deepEqual([narrowed.statusCode, narrowed.json()], [403, CENTER_SCOPE]);
    await users.setCenters('only-a', [], 'test');
    const none = await create(payload('no-centers'), nodeHeaders({ cookie: sessions.onlyA }));
    assert.deepEqual([none.statusCode, none.json()], [403, CENTER_SCOPE], 'a user without any center is refused too');
    await users.setCenters('only-a', ['klinik-a', 'klinik-b'], 'test');
    const widened = await status(baselineKey, nodeHeaders({ cookie: sessions.onlyA }));
    assert.equal(widened.statusCode, 200, widened.body);
    const row = await hub.db.selectFrom('hub_transfer_jobs').select('source_center_id').where('transfer_key', '=', baselineKey).executeTakeFirstOrThrow();
    assert.equal(Number(row.source_center_id), centerA);
  });
});
