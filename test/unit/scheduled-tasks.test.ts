import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScheduledTasks } from '../../src/lifecycle/scheduled-tasks.js';
import type { Config } from '../../src/config/types.js';
import type { Logger } from '../../src/log/logger.js';
import { yaml } from '../config/helpers.js';
import { scheduledTask } from '../helpers/tasks.js';

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (m: string): void => void lines.push(m);
  return { lines, verbosity: 4, format: 'text', enabled: () => true, error: put, warn: put, info: put, debug: put, trace: put };
}

const withTasks = (tasks = [scheduledTask({ schedule: '0 0 1 1 *' })]): Config => ({ ...yaml('watchers:\n  w: {cmd: node app.js}\n'), tasks });

test('scheduled tasks: a runner that cannot be loaded is logged, nothing throws, the next reload tries again', async () => {
  const log = recordingLog();
  let calls = 0;
  const s = new ScheduledTasks({ loadRunner: () => (calls++, Promise.reject(new Error('EACCES: execa'))), emit: () => {}, ctx: { baseEnv: {}, cwd: '/' }, log });
  await s.preload(withTasks());
  await s.start(withTasks());
  assert.deepEqual(s.status(), []);
  assert.ok(log.lines.some((l) => /cannot be loaded: EACCES: execa; restart ringmaster/.test(l)), log.lines.join('\n'));
  await s.reconfigure(withTasks());
  assert.equal(calls, 3, 'tried again at each apply');
  await s.stop();
  await s.stop();
});

test('scheduled tasks: no runner at all is said once; a config without schedules loads nothing', async () => {
  const log = recordingLog();
  const none = new ScheduledTasks({ loadRunner: undefined, emit: () => {}, ctx: { baseEnv: {}, cwd: '/' }, log });
  await none.start(withTasks());
  await none.reconfigure(withTasks());
  assert.equal(log.lines.filter((l) => l.includes('no task runner')).length, 1);
  await none.stop();
  let loaded = false;
  const idle = new ScheduledTasks({ loadRunner: async () => ((loaded = true), async () => ({ kind: 'success', status: 0, durationMs: 0, tail: [] })), emit: () => {}, ctx: { baseEnv: {}, cwd: '/' }, log });
  await idle.preload(withTasks([]));
  await idle.start(withTasks([]));
  assert.equal(loaded, false);
  await idle.reconfigure(withTasks());
  assert.equal(loaded, true, 'a reload that brings a schedule loads the runner');
  assert.deepEqual(idle.status().map((x) => x.task), ['tick']);
  await idle.stop();
  assert.deepEqual(idle.status(), []);
});
