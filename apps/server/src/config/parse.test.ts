import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from './errors.js';
import { normaliseHost, normaliseOrigin, parseFlag, parseList } from './parse.js';

test('lists: JSON, Python literal, tuple and comma-separated forms', () => {
  assert.deepEqual(parseList('X', '["a","b"]'), ['a', 'b']);
  assert.deepEqual(parseList('X', "['a', 'b']"), ['a', 'b']);
  assert.deepEqual(parseList('X', "('a', \"b\")"), ['a', 'b']);
  assert.deepEqual(parseList('X', 'a, b,,c '), ['a', 'b', 'c']);
  assert.deepEqual(parseList('X', '"a,b"'), ['a', 'b']);
  assert.deepEqual(parseList('X', ''), []);
  assert.throws(() => parseList('X', '[1, 2]'), ConfigError);
});

test('hosts lose scheme and trailing slash; origins gain a scheme', () => {
  assert.equal(normaliseHost('https://lx.example.org/'), 'lx.example.org');
  assert.equal(normaliseOrigin('X', 'lx.example.org/'), 'https://lx.example.org');
  assert.equal(normaliseOrigin('X', 'localhost:5173'), 'http://localhost:5173');
  assert.equal(normaliseOrigin('X', '127.0.0.1:8000'), 'http://127.0.0.1:8000');
  assert.equal(normaliseOrigin('X', 'http://intranet.local'), 'http://intranet.local');
  assert.throws(() => normaliseOrigin('X', '*'), ConfigError);
  assert.throws(() => normaliseOrigin('X', 'https://a.org/path'), ConfigError);
});

test('flags accept the documented spellings and refuse anything else', () => {
  for (const v of ['1', 'true', 'YES', 'on']) assert.equal(parseFlag('F', v), true);
  for (const v of ['0', 'false', 'No', 'off']) assert.equal(parseFlag('F', v), false);
  assert.equal(parseFlag('F', 'y', 'debug'), true);
  assert.equal(parseFlag('F', 't', 'debug'), true);
  assert.throws(() => parseFlag('F', 'y'), ConfigError);
  assert.throws(() => parseFlag('F', 'ture'), /F: got/);
});
