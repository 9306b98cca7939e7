import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentSecurityPolicy, hostAllowed, hostName, originAllowed } from './auth-transport.js';

test('host names: ports stripped, IPv6 kept in brackets, malformed hosts rejected', () => {
  assert.equal(hostName('LX.Example.org:8443'), 'lx.example.org');
  assert.equal(hostName('[::1]:8000'), '[::1]');
  assert.equal(hostName('127.0.0.1'), '127.0.0.1');
  for (const bad of ['', 'a b', 'host/path', 'evil.example@lx', 'x:y:z', 'lx.example.org:99999999']) assert.equal(hostName(bad), undefined, bad);
});

test("Django's ALLOWED_HOSTS matching: exact, .domain for subdomains, * for any", () => {
  const allowed = ['lx.example.org', '.klinik.example', '[::1]'];
  assert.equal(hostAllowed('lx.example.org', allowed), true);
  assert.equal(hostAllowed('LX.EXAMPLE.ORG:443', allowed), true);
  assert.equal(hostAllowed('lx.example.org.', allowed), true);
  assert.equal(hostAllowed('klinik.example', allowed), true);
  assert.equal(hostAllowed('app.klinik.example', allowed), true);
  assert.equal(hostAllowed('evilklinik.example', allowed), false);
  assert.equal(hostAllowed('lx.example.org.evil.example', allowed), false);
  assert.equal(hostAllowed('[::1]:8000', allowed), true);
  assert.equal(hostAllowed('', allowed), false);
  assert.equal(hostAllowed('anything.example', ['*']), true);
  assert.equal(hostAllowed('lx.example.org', []), false);
});

test('CORS origins match exactly (scheme, host, port), case-insensitively', () => {
  const allowed = ['https://spa.example.org'];
  assert.equal(originAllowed('https://spa.example.org', allowed), true);
  assert.equal(originAllowed('HTTPS://SPA.EXAMPLE.ORG', allowed), true);
  assert.equal(originAllowed('http://spa.example.org', allowed), false);
  assert.equal(originAllowed('https://spa.example.org:8443', allowed), false);
  assert.equal(originAllowed('null', allowed), false);
});

test('the CSP keeps scripts to this origin and allows the blob: workers and media of HLS and PDF viewing', () => {
  const dev = contentSecurityPolicy({ production: false, formActionOrigins: ['https://keycloak.example'] });
  assert.deepEqual(dev['script-src'], ["'self'"]);
  assert.deepEqual(dev['frame-ancestors'], ["'none'"]);
  assert.ok(dev['media-src']?.includes('blob:') && dev['worker-src']?.includes('blob:'));
  assert.ok(dev['form-action']?.includes('https://keycloak.example'));
  assert.equal(dev['upgrade-insecure-requests'], undefined);
  assert.deepEqual(contentSecurityPolicy({ production: true, formActionOrigins: [] })['upgrade-insecure-requests'], []);
});
