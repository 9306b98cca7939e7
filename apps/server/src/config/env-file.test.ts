import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from './errors.js';
import { parseEnvFile } from './env-file.js';

test('quoted values keep their spaces, unquoted values keep the whole line', () => {
  const values = parseEnvFile(
    [
      '# comment',
      '',
      'export A="two words"',
      "B='single quoted # not a comment'",
      'C=plain value with spaces   # trailing comment',
      'D=x=y=z',
      'E="escaped \\"quote\\" and \\\\ backslash"',
      'F=',
      '  G = spaced  ',
    ].join('\n'),
  );
  assert.equal(values.get('A'), 'two words');
  assert.equal(values.get('B'), 'single quoted # not a comment');
  assert.equal(values.get('C'), 'plain value with spaces');
  assert.equal(values.get('D'), 'x=y=z');
  assert.equal(values.get('E'), 'escaped "quote" and \\ backslash');
  assert.equal(values.get('F'), '');
  assert.equal(values.get('G'), 'spaced');
});

test('malformed lines are configuration errors naming file and line', () => {
  assert.throws(() => parseEnvFile('GOOD=1\nnot a pair', '/etc/x.env'), (e: unknown) => e instanceof ConfigError && e.message.startsWith('/etc/x.env:2'));
  assert.throws(() => parseEnvFile('A="unterminated'), ConfigError);
  assert.throws(() => parseEnvFile('A="x" trailing'), ConfigError);
  assert.throws(() => parseEnvFile('1BAD=x'), ConfigError);
});

test('CRLF line endings are accepted', () => {
  assert.equal(parseEnvFile('A=1\r\nB="2 3"\r\n').get('B'), '2 3');
});
