/** The init's endpoints (lifecycle/endpoints.ts): one that cannot start is a warning, the others run; closed last first. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log/logger.js';
import { Endpoints } from '../../src/lifecycle/endpoints.js';
import type { InitEndpoint } from '../../src/lifecycle/api.js';

test('endpoints: each step in order, a hook that throws is a warning and the next ones start, close() closes the last first, once', async () => {
  const lines: string[] = [];
  const calls: string[] = [];
  const handle = (name: string) => ({ close: () => void calls.push(`close ${name}`) });
  const list: InitEndpoint[] = [
    { name: 'http', beforeDrop: async () => (calls.push('http'), handle('http')) },
    {
      name: 'broken',
      beforeDrop: async () => {
        throw new Error('EADDRINUSE');
      },
    },
    { name: 'control', beforeDrop: () => (calls.push('control prepare'), undefined), afterDrop: async () => (calls.push('control'), handle('control')) },
  ];
  const eps = new Endpoints(list, createLogger({ verbosity: 1, write: (l) => lines.push(l) }));
  await eps.start((e) => e.beforeDrop?.({ snapshot: () => assert.fail('not asked for') }));
  assert.deepEqual(calls, ['http', 'control prepare']);
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /broken endpoint not available, running without it: EADDRINUSE/);
  await eps.start((e) => e.afterDrop?.({ snapshot: () => assert.fail('not asked for'), controller: {} as never }));
  await eps.close();
  await eps.close();
  assert.deepEqual(calls, ['http', 'control prepare', 'control', 'close control', 'close http']);
});

test('endpoints: one that comes up after close() (a shutdown while it loaded) is closed at once, not kept', async () => {
  const calls: string[] = [];
  const eps = new Endpoints([{ name: 'http', beforeDrop: async () => (calls.push('http'), { close: () => void calls.push('close http') }) }], createLogger({ verbosity: 0, write: () => {} }));
  await eps.close();
  await eps.start((e) => e.beforeDrop?.({ snapshot: () => assert.fail('not asked for') }));
  assert.deepEqual(calls, ['http', 'close http']);
  await eps.close();
  assert.deepEqual(calls, ['http', 'close http']);
});
