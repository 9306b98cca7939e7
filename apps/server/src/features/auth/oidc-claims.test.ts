import assert from 'node:assert/strict';
import { test } from 'node:test';
import { centerKeysFromClaims, rolesFromClaims, TokenClaims, usernameCandidate } from './oidc-claims.js';

test('roles come from the flat roles claim and realm_access.roles, merged over claim sets', () => {
  assert.deepEqual(rolesFromClaims({ roles: ['video:read', 'endoregdb_user'] }), ['endoregdb_user', 'video:read']);
  assert.deepEqual(rolesFromClaims({ realm_access: { roles: ['patient:write'] } }, { roles: 'data:read' }), ['data:read', 'patient:write']);
  assert.deepEqual(rolesFromClaims({ roles: ['a', 'a', 7, null, ''] }, undefined), ['a']);
  assert.deepEqual(rolesFromClaims({ realm_access: 'nope' }, { resource_access: { x: { roles: ['y'] } } }), []);
});

test('center keys come from /centers/<key> group paths in the configured claim only', () => {
  const claims = { groups: ['/centers/uk-wuerzburg', 'centers/klinik_nord', '/staff', '/centers/a/b', '/centers/Bad Key'], other: ['/centers/x'] };
  assert.deepEqual(centerKeysFromClaims('groups', claims), ['klinik_nord', 'uk-wuerzburg']);
  assert.deepEqual(centerKeysFromClaims('other', claims), ['x']);
  assert.deepEqual(centerKeysFromClaims('groups', { groups: '/centers/solo' }), ['solo']);
  assert.deepEqual(centerKeysFromClaims('groups', {}), []);
});

test('token claims need a subject; usernames are derived and sanitised', () => {
  assert.equal(TokenClaims.safeParse({}).success, false);
  assert.equal(TokenClaims.safeParse({ sub: '' }).success, false);
  assert.equal(usernameCandidate(TokenClaims.parse({ sub: 's1', preferred_username: 'dr.müller' })), 'dr.müller');
  assert.equal(usernameCandidate(TokenClaims.parse({ sub: 's1', email: 'a b@x.org' })), 'a_b@x.org');
  assert.equal(usernameCandidate(TokenClaims.parse({ sub: 'abc' })), 'oidc-abc');
});
