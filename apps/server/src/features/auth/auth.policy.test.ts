import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accessForMethod, capabilities, isAllowed, requiredRole, satisfies, SUPER_ROLE } from './auth.policy.js';

const READ = ['GET', 'HEAD', 'OPTIONS'];
const WRITE = ['POST', 'PUT', 'PATCH', 'DELETE'];
const RESOURCES = ['patient', 'video', 'anonymization', 'jobs'];

describe('route policy (§11)', () => {
  test('methods map to read or write; everything else is unmapped', () => {
    for (const m of READ) assert.equal(accessForMethod(m), 'read');
    for (const m of WRITE) assert.equal(accessForMethod(m), 'write');
    for (const m of ['get', 'post']) assert.ok(accessForMethod(m));
    for (const m of ['TRACE', 'CONNECT', 'PROPFIND', 'LOCK', '']) assert.equal(accessForMethod(m), undefined);
    assert.equal(requiredRole('video', 'GET'), 'video:read');
    assert.equal(requiredRole('video', 'DELETE'), 'video:write');
    assert.equal(requiredRole('video', 'TRACE'), undefined);
    assert.equal(requiredRole('Video:x', 'GET'), undefined, 'malformed resource names never match');
  });

  test('the super role passes every resource and mapped method, and no unmapped method', () => {
    for (const r of RESOURCES) for (const m of [...READ, ...WRITE]) assert.equal(isAllowed([SUPER_ROLE], r, m), true, `${r} ${m}`);
    assert.equal(isAllowed([SUPER_ROLE], 'video', 'TRACE'), false);
  });

  test('exact roles pass only their own resource and access', () => {
    assert.equal(isAllowed(['video:read'], 'video', 'GET'), true);
    assert.equal(isAllowed(['video:read'], 'video', 'POST'), false);
    assert.equal(isAllowed(['video:read'], 'patient', 'GET'), false);
    assert.equal(isAllowed(['patient:write'], 'patient', 'PATCH'), true);
    assert.equal(isAllowed(['patient:write'], 'video', 'PATCH'), false);
  });

  test('write implies read on the same resource only', () => {
    for (const m of READ) assert.equal(isAllowed(['anonymization:write'], 'anonymization', m), true);
    for (const m of READ) assert.equal(isAllowed(['anonymization:write'], 'video', m), false);
    assert.equal(satisfies('video:write', 'video:read'), true);
    assert.equal(satisfies('video:read', 'video:write'), false);
  });

  test('data:read satisfies any read; data:write satisfies any read and any write', () => {
    for (const r of RESOURCES) {
      for (const m of READ) assert.equal(isAllowed(['data:read'], r, m), true);
      for (const m of WRITE) assert.equal(isAllowed(['data:read'], r, m), false);
      for (const m of [...READ, ...WRITE]) assert.equal(isAllowed(['data:write'], r, m), true);
    }
  });

  test('no roles, unrelated roles and look-alikes are denied', () => {
    assert.equal(isAllowed([], 'video', 'GET'), false);
    for (const role of ['video', 'video:', ':read', 'videos:read', 'video:read ', 'VIDEO:READ', 'data', 'data:admin', 'endoregdb', 'center_scope:admin']) {
      assert.equal(isAllowed([role], 'video', 'GET'), false, role);
    }
  });

  test('several roles: any one satisfying is enough', () => {
    assert.equal(isAllowed(['patient:read', 'video:write'], 'video', 'POST'), true);
    assert.equal(isAllowed(['patient:read', 'video:read'], 'video', 'POST'), false);
  });

  test('capabilities reflect the same rules; superusers get everything', () => {
    const c = capabilities(['video:write', 'patient:read'], false);
    assert.deepEqual(c.video, { read: true, write: true });
    assert.deepEqual(c.patient, { read: true, write: false });
    assert.deepEqual(c.anonymization, { read: false, write: false });
    assert.equal(c['page.patients.view'], true);
    assert.equal(c['page.anonymization.overview'], false);
    assert.equal(c['administration.center_scope'], false);
    const all = capabilities([], true);
    assert.ok(Object.values(all).every((v) => v === true || (typeof v === 'object' && v.read && v.write)));
    assert.equal(capabilities(['center_scope:admin'], false)['administration.center_scope'], true);
  });
});
