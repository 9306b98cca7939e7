import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Actor } from '../auth/index.js';
import { CenterResolutionError, resolveUploadCenter, resolveWatcherCenter, type CenterDirectory, type IngestCenter } from './center-resolution.js';

const A: IngestCenter = { id: 1, name: 'Klinik A', centerKey: 'klinik-a' };
const B: IngestCenter = { id: 2, name: 'Klinik B', centerKey: 'klinik-b' };
const C: IngestCenter = { id: 3, name: 'Klinik C', centerKey: 'klinik-c' };
const directory = (fallback: IngestCenter | null = A): CenterDirectory => ({
  byKey: async (k) => [A, B, C].find((c) => c.centerKey === k),
  byName: async (n) => [A, B, C].find((c) => c.name === n),
  byId: async (id) => [A, B, C].find((c) => c.id === id),
  defaultCenter: async () => fallback ?? undefined,
});
const actor = (centerIds: readonly number[], extra: Partial<Actor> = {}): Actor => ({
  userId: 1, username: 'u', roles: [], centerIds, isSuperuser: false, isStaff: false, authSource: 'local', oidcSubject: null, mustChangePassword: false, via: 'session', ...extra,
});
const staff = actor([], { isStaff: true });
const loose = { strict: false, modeLabel: 'central hub' } as const;
const strict = { strict: true, modeLabel: 'central hub' } as const;

async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CenterResolutionError, String(error));
    return { status: error.status, message: error.message };
  }
  assert.fail('expected a refusal');
}

describe('center resolution, non-strict (§3.2)', () => {
  test('the user center, then the declared center, then the default center', async () => {
    assert.equal((await resolveUploadCenter({ ...loose, actor: actor([1]), declaredKey: 'klinik-b' }, directory())).center, A);
    assert.equal((await resolveUploadCenter({ ...loose, actor: actor([1, 2]), declaredKey: 'klinik-b' }, directory())).center, B);
    assert.equal((await resolveUploadCenter({ ...loose, actor: staff, declaredName: 'Klinik C' }, directory())).center, C);
    const fallback = await resolveUploadCenter({ ...loose, actor: staff }, directory(B));
    assert.equal(fallback.center, B);
    assert.equal(fallback.via, 'default');
  });

  test('declared key and name must agree and exist', async () => {
    assert.deepEqual(await refusal(resolveUploadCenter({ ...loose, actor: staff, declaredKey: 'klinik-a', declaredName: 'Klinik B' }, directory())), { status: 400, message: 'center_key and center_name refer to different centers' });
    assert.deepEqual(await refusal(resolveUploadCenter({ ...loose, actor: staff, declaredKey: 'x' }, directory())), { status: 400, message: 'Unknown center_key: x' });
    assert.deepEqual(await refusal(resolveUploadCenter({ ...loose, actor: staff, declaredName: 'Nowhere' }, directory())), { status: 400, message: 'Unknown center_name: Nowhere' });
    assert.equal((await resolveUploadCenter({ ...loose, actor: staff, declaredKey: ' klinik-b ', declaredName: 'Klinik B' }, directory())).center, B);
  });

  test('the result must lie in the caller scope: 403 outside, 403 without any center', async () => {
    const outside = await refusal(resolveUploadCenter({ ...loose, actor: actor([1, 2]), declaredKey: 'klinik-c' }, directory()));
    assert.equal(outside.status, 403);
    assert.match(outside.message, /outside the authenticated scope/);
    assert.equal((await refusal(resolveUploadCenter({ ...loose, actor: actor([2, 3]) }, directory(A)))).status, 403, 'default center outside the scope');
    assert.deepEqual(await refusal(resolveUploadCenter({ ...loose, actor: actor([]) }, directory())), { status: 403, message: 'You do not have access to upload jobs.' });
    assert.equal((await refusal(resolveUploadCenter({ ...loose, actor: staff }, directory(null)))).status, 400, 'no center at all');
  });

  test('an unauthenticated caller (debug mode only) is unrestricted', async () => {
    assert.equal((await resolveUploadCenter({ ...loose, actor: undefined }, directory(C))).center, C);
  });
});

describe('center resolution, strict (central_hub)', () => {
  test('authentication and a resolvable center_key are required, no default fallback', async () => {
    assert.deepEqual(await refusal(resolveUploadCenter({ ...strict, actor: undefined, declaredKey: 'klinik-a' }, directory())), { status: 403, message: 'Authentication is required for central hub API uploads.' });
    assert.deepEqual(await refusal(resolveUploadCenter({ ...strict, actor: staff }, directory())), { status: 400, message: 'center_key is required for central hub API uploads.' });
    assert.deepEqual(await refusal(resolveUploadCenter({ ...strict, actor: staff, declaredName: 'Klinik A' }, directory())), { status: 400, message: 'center_key is required for central hub API uploads.' });
    assert.deepEqual(await refusal(resolveUploadCenter({ ...strict, actor: staff, declaredKey: 'unknown' }, directory())), { status: 400, message: 'center_key is required for central hub API uploads.' });
    assert.deepEqual(await refusal(resolveUploadCenter({ ...strict, actor: staff, declaredKey: 'klinik-a', declaredName: 'Klinik B' }, directory())), { status: 400, message: 'center_key and center_name refer to different centers' });
  });

  test('the declared center wins and must be in scope, even over the user own center', async () => {
    const declared = await resolveUploadCenter({ ...strict, actor: actor([1, 2]), declaredKey: 'klinik-b' }, directory());
    assert.equal(declared.center, B);
    assert.equal(declared.via, 'declared');
    assert.equal((await refusal(resolveUploadCenter({ ...strict, actor: actor([1]), declaredKey: 'klinik-b' }, directory()))).status, 403);
    assert.deepEqual(await refusal(resolveUploadCenter({ ...strict, actor: actor([]), declaredKey: 'klinik-a' }, directory())), { status: 403, message: 'You do not have access to upload jobs.' });
  });
});

describe('watcher center', () => {
  test('LX_ANNOTATE_DEFAULT_CENTER by center_key, then by name with a warning', async () => {
    const warnings: string[] = [];
    const warn = (w: string): void => void warnings.push(w);
    assert.equal(await resolveWatcherCenter(directory(), 'klinik-b', warn), B);
    assert.deepEqual(warnings, []);
    assert.equal(await resolveWatcherCenter(directory(), 'Klinik C', warn), C);
    assert.match(warnings[0] ?? '', /by name, not by center_key.*klinik-c/);
    assert.equal(await resolveWatcherCenter(directory(), 'nowhere', () => undefined), undefined);
  });
});
