import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PollLimiter } from './poll-limiter.js';

test('the poll limiter allows `limit` requests per window and key, then says how long to wait', () => {
  const limiter = new PollLimiter(3, 10_000);
  assert.deepEqual([0, 1, 2].map((i) => limiter.hit('u1:pdf:7', 1_000 + i)), [0, 0, 0]);
  assert.equal(limiter.hit('u1:pdf:7', 2_000), 9, 'fourth within the window: wait until the first one leaves it');
  assert.equal(limiter.hit('u2:pdf:7', 2_000), 0, 'another user is not affected');
  assert.equal(limiter.hit('u1:pdf:7', 11_001), 0, 'after the window it is allowed again');
});
