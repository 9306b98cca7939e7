import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CliIo } from './command.js';
import { demoCommand } from './demo.js';

function io(): CliIo & { text: () => string } {
  let text = '';
  return {
    out: (t) => void (text += t),
    err: (t) => void (text += t),
    loadConfig: () => {
      throw new Error('configuration must not be needed for a usage error');
    },
    text: () => text,
  };
}

describe('lx-annotate demo', () => {
  it('answers usage errors with exit code 2 before touching configuration or ffmpeg', async () => {
    for (const positionals of [[], ['make'], ['render', '/tmp/x'], ['make', '/tmp/x', 'extra']]) {
      const out = io();
      assert.equal(await demoCommand.run({ values: {}, positionals }, out), 2, positionals.join(' '));
      assert.match(out.text(), /usage: lx-annotate demo make <dir>/);
    }
    const out = io();
    assert.equal(await demoCommand.run({ values: { only: 'huge' }, positionals: ['make', '/tmp/x'] }, out), 2);
    assert.match(out.text(), /--only must be one of short, long/);
  });
});
