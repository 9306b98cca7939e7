import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeNext } from './auth.cookies.js';
import { csrfRequestValid, csrfTokenValid, issueCsrfToken, requestOriginTrusted } from './csrf.js';

const SECRET = 'csrf-test-secret';

test('CSRF tokens are bound to their session and to the secret', () => {
  const token = issueCsrfToken(SECRET, 'session-a');
  assert.equal(csrfTokenValid(SECRET, 'session-a', token), true);
  assert.equal(csrfTokenValid(SECRET, 'session-b', token), false);
  assert.equal(csrfTokenValid('other-secret', 'session-a', token), false);
  assert.equal(csrfTokenValid(SECRET, 'session-a', `${token}x`), false);
  assert.equal(csrfTokenValid(SECRET, 'session-a', token.replace('.', '.x')), false);
  assert.equal(csrfTokenValid(SECRET, 'session-a', undefined), false);
  assert.equal(csrfTokenValid(SECRET, 'session-a', 'a.b.c'), false);
  assert.notEqual(issueCsrfToken(SECRET, 'session-a'), token, 'each token has its own nonce');
});

test('double submit: the header must equal the cookie, and the cookie must fit the session', () => {
  const token = issueCsrfToken(SECRET, 'anonymous');
  assert.equal(csrfRequestValid(SECRET, 'anonymous', token, token), true);
  assert.equal(csrfRequestValid(SECRET, 'anonymous', token, undefined), false);
  assert.equal(csrfRequestValid(SECRET, 'anonymous', token, issueCsrfToken(SECRET, 'anonymous')), false);
  const planted = 'attacker.chosen';
  assert.equal(csrfRequestValid(SECRET, 'anonymous', planted, planted), false, 'a planted cookie without a valid tag fails');
  assert.equal(csrfRequestValid(SECRET, 'signed-in-session', token, token), false, 'an anonymous token does not work after sign-in');
});

test('origin check: own origin and trusted origins pass; others, null and bad referers fail; no header relies on the token', () => {
  const own = 'https://lx.example.org';
  const trusted = ['https://spa.example.org'];
  assert.equal(requestOriginTrusted(own, trusted, 'https://lx.example.org', undefined), true);
  assert.equal(requestOriginTrusted(own, trusted, 'https://SPA.example.org', undefined), true);
  assert.equal(requestOriginTrusted(own, trusted, 'https://evil.example', undefined), false);
  assert.equal(requestOriginTrusted(own, trusted, 'null', undefined), false);
  assert.equal(requestOriginTrusted(own, trusted, undefined, 'https://lx.example.org/page?x=1'), true);
  assert.equal(requestOriginTrusted(own, trusted, undefined, 'https://evil.example/lx.example.org'), false);
  assert.equal(requestOriginTrusted(own, trusted, undefined, 'not a url'), false);
  assert.equal(requestOriginTrusted(own, trusted, undefined, undefined), true);
  assert.equal(requestOriginTrusted(own, trusted, 'http://lx.example.org', undefined), false, 'the scheme counts');
});

test('next targets stay on this site', () => {
  assert.equal(safeNext('/videos/12?tab=a'), '/videos/12?tab=a');
  for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '', '/a\nb', undefined, 42, `/${'x'.repeat(2001)}`]) {
    assert.equal(safeNext(bad), '/', String(bad).slice(0, 30));
  }
});
