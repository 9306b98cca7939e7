import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generatePassword, hashPassword, needsRehash, passwordProblem, SCRYPT_PARAMS, verifyPassword } from './password.js';

test('scrypt hashes carry their parameters and a per-hash salt; verification is exact', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.match(a, new RegExp(`^scrypt\\$${SCRYPT_PARAMS.N}\\$8\\$1\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
  assert.ok(SCRYPT_PARAMS.N >= 2 ** 15 && SCRYPT_PARAMS.r === 8 && SCRYPT_PARAMS.p === 1);
  assert.notEqual(a, b, 'two hashes of one password differ (salt)');
  assert.equal(await verifyPassword('correct horse battery', a), true);
  assert.equal(await verifyPassword('correct horse batterY', a), false);
  assert.equal(await verifyPassword('', a), false);
  assert.equal(needsRehash(a), false);
});

test('malformed or tampered hashes never verify and cannot demand huge work', async () => {
  const good = await hashPassword('pw-for-tamper-test');
  const [, , r, p, salt, key] = good.split('$');
  for (const bad of [
    '',
    'plain',
    `pbkdf2$1$${r}$${p}$${salt}$${key}`,
    `scrypt$${2 ** 30}$${r}$${p}$${salt}$${key}`,
    `scrypt$1000$${r}$${p}$${salt}$${key}`,
    `scrypt$${SCRYPT_PARAMS.N}$${r}$${p}$${salt}$${key?.slice(0, 10)}`,
    `scrypt$${SCRYPT_PARAMS.N}$${r}$${p}$$${key}`,
  ]) {
    assert.equal(await verifyPassword('pw-for-tamper-test', bad), false, bad);
  }
  assert.equal(await verifyPassword('pw-for-tamper-test', null), false);
  assert.equal(needsRehash(`scrypt$${2 ** 14}$8$1$${salt}$${key}`), true);
});

test('generated passwords are long, random and avoid look-alike characters', () => {
  const seen = new Set(Array.from({ length: 50 }, () => generatePassword()));
  assert.equal(seen.size, 50);
  for (const pw of seen) assert.match(pw, /^[A-HJ-NP-Za-km-z2-9]{20}$/);
  assert.equal(passwordProblem(generatePassword(), 'admin'), undefined);
});

test('chosen passwords: length, not only digits, not the username, not trivial', () => {
  assert.match(passwordProblem('short', 'anna') ?? '', /mindestens 12/);
  assert.match(passwordProblem('123456789012345', 'anna') ?? '', /Ziffern/);
  assert.match(passwordProblem('meinname-anna-2024', 'Anna') ?? '', /Benutzernamen/);
  assert.match(passwordProblem('aaaaaaaaaaaaaaaa', 'x') ?? '', /zu einfach/);
  assert.equal(passwordProblem('Sommer-Endoskopie-7', 'anna'), undefined);
});
