import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule } from '../../src/config/cron.js';
import type { TaskConfig } from '../../src/config/types.js';
import type { EventInput } from '../../src/supervisor/events.js';
import { MAX_WAIT_MS, Scheduler } from '../../src/supervisor/schedule.js';
import { Schedules } from '../../src/supervisor/schedules.js';
import type { TaskRunContext, TaskRunResult, TaskRunner } from '../../src/supervisor/task-run.js';
import { FakeClock, settle } from '../unit/fake-supervisor.js';
import { scheduledTask } from '../helpers/tasks.js';

const ok: TaskRunResult = { kind: 'success', status: 0, durationMs: 1, tail: [] };

/** A runner whose runs end when the test says; it records when each began (on the fake clock) and its signal. */
function fakeRunner(clock: FakeClock) {
  const runs: Array<{ at: number; signal: AbortSignal | undefined; end(r?: TaskRunResult): void }> = [];
  let pid = 500;
  const runner: TaskRunner = (_task, ctx: TaskRunContext, signal) =>
    new Promise<TaskRunResult>((resolve) => {
      ctx.onSpawn?.(++pid);
      const run = { at: clock.time, signal, end: (r: TaskRunResult = ok) => resolve(r) };
      signal?.addEventListener('abort', () => resolve({ kind: 'failure', status: 143, signal: 'SIGTERM', durationMs: 1, tail: [] }));
      runs.push(run);
    });
  return { runner, runs };
}

function setup(o: Partial<TaskConfig> = {}, start = Date.UTC(2026, 0, 1, 0, 0, 0, 500)) {
  const clock = new FakeClock();
  clock.time = start;
  let skew = 0;
  const events: EventInput[] = [];
  const { runner, runs } = fakeRunner(clock);
  const task = scheduledTask(o);
  const s = new Scheduler({
    task,
    schedule: parseSchedule(task.schedule as string, task.timezone),
    runner,
    ctx: { baseEnv: {}, cwd: '/' },
    emit: (e) => events.push(e),
    timers: clock,
    now: () => clock.time + skew,
  });
  return { clock, s, runs, events, jump: (ms: number) => (skew += ms) };
}

test('a seconds schedule runs on each second, not at start, with scheduled task.started (pid) and task.finished events', async () => {
  const { clock, s, runs, events } = setup();
  s.start();
  await settle();
  assert.equal(runs.length, 0, 'not at start');
  assert.equal(s.status().next, Date.UTC(2026, 0, 1, 0, 0, 1));
  await clock.advance(500);
  assert.equal(runs.length, 1);
  assert.equal(runs[0]?.at, Date.UTC(2026, 0, 1, 0, 0, 1));
  runs[0]?.end();
  await settle();
  await clock.advance(1000);
  assert.equal(runs.length, 2);
  assert.equal(runs[1]?.at, Date.UTC(2026, 0, 1, 0, 0, 2));
  runs[1]?.end();
  await settle();
  assert.deepEqual(
    events.map((e) => [e.type, 'scheduled' in e ? e.scheduled : undefined, e.type === 'task.started' ? e.pid : undefined]),
    [['task.started', true, 501], ['task.finished', true, undefined], ['task.started', true, 502], ['task.finished', true, undefined]],
  );
  const st = s.status();
  assert.equal(st.runs, 2);
  assert.equal(st.running, false);
  assert.equal(st.last?.result.kind, 'success');
  await s.stop();
});

test('a run still going when the next tick is due: the tick is skipped and counted, never two runs at once', async () => {
  const { clock, s, runs, events } = setup();
  s.start();
  await clock.advance(500); // 00:00:01 a run starts
  await clock.advance(1000); // 00:00:02 still going
  await clock.advance(1000); // 00:00:03 still going
  assert.equal(runs.length, 1);
  assert.equal(s.status().skipped, 2);
  assert.equal(s.status().running, true);
  assert.equal(events.filter((e) => e.type === 'task.skipped').length, 2);
  runs[0]?.end();
  await settle();
  await clock.advance(1000); // 00:00:04 the next run
  assert.equal(runs.length, 2);
  runs[1]?.end();
  await s.stop();
});

test('stop() cancels the timer and aborts the run going, and resolves once it ended', async () => {
  const { clock, s, runs, events } = setup();
  s.start();
  await clock.advance(500);
  assert.equal(runs.length, 1);
  await s.stop();
  assert.equal(runs[0]?.signal?.aborted, true);
  assert.equal(clock.pending, 0, 'no timer left');
  assert.equal(s.status().running, false);
  assert.equal(s.status().next, undefined);
  await clock.advance(10_000);
  assert.equal(runs.length, 1, 'no run after stop');
  assert.equal(events.at(-1)?.type, 'task.finished');
  await s.stop(); // idempotent
});

test('a time zone without DST: 09:00 in Asia/Tokyo is 00:00 UTC', async () => {
  const { s } = setup({ schedule: '0 9 * * *', timezone: 'Asia/Tokyo' }, Date.UTC(2026, 5, 1, 0, 30));
  s.start();
  assert.equal(s.status().next, Date.UTC(2026, 5, 2, 0, 0));
  await s.stop();
  const utc = setup({ schedule: '0 9 * * *', timezone: 'UTC' }, Date.UTC(2026, 5, 1, 0, 30));
  utc.s.start();
  assert.equal(utc.s.status().next, Date.UTC(2026, 5, 1, 9, 0));
  await utc.s.stop();
});

test('a long wait is a chain of waits of at most MAX_WAIT_MS (setTimeout caps at 2^31-1 ms), and the run comes on time', async () => {
  const { clock, s, runs } = setup({ schedule: '0 0 1 1 *' }, Date.UTC(2026, 0, 1, 0, 0, 30));
  s.start();
  const due = Date.UTC(2027, 0, 1);
  assert.equal(s.status().next, due);
  await clock.advance(MAX_WAIT_MS * 3);
  assert.equal(runs.length, 0);
  assert.equal(clock.pending, 1);
  assert.equal(s.status().next, due);
  await s.stop();
  // an hourly one, through 60 waits, on time
  const h = setup({ schedule: '0 * * * *' }, Date.UTC(2026, 0, 1, 0, 0, 30));
  h.s.start();
  await h.clock.advance(3600_000);
  assert.equal(h.runs.length, 1);
  assert.equal(h.runs[0]?.at, Date.UTC(2026, 0, 1, 1, 0));
  h.runs[0]?.end();
  await h.s.stop();
});

test('a clock stepped forward runs the missed tick once (not once per missed minute), then follows the new clock', async () => {
  const { clock, s, runs, jump } = setup({ schedule: '0 * * * * *' }, Date.UTC(2026, 0, 1, 0, 0, 10));
  s.start();
  jump(2 * 3600_000); // the wall clock is now 02:00:10
  await clock.advance(MAX_WAIT_MS);
  assert.equal(runs.length, 1, 'one run for the missed ticks');
  runs[0]?.end();
  await settle();
  // next: the minute after the new wall time (02:01:10 now): 02:02:00
  assert.equal(s.status().next, Date.UTC(2026, 0, 1, 2, 2));
  await s.stop();
});

test('a clock stepped back does not run an instant again that already ran', async () => {
  const { clock, s, runs, jump } = setup({ schedule: '0 * * * * *' }, Date.UTC(2026, 0, 1, 0, 0, 59, 500));
  s.start();
  await clock.advance(500); // 00:01:00 runs
  assert.equal(runs.length, 1);
  runs[0]?.end();
  await settle();
  jump(-30_000); // back to 00:00:30
  await clock.advance(60_000); // the wake-up of 00:02:00 (wall 00:01:30) re-arms
  assert.equal(runs.length, 1, 'not 00:01:00 again');
  await clock.advance(30_000); // wall 00:02:00
  assert.equal(runs.length, 2);
  runs[1]?.end();
  await s.stop();
});

test('Schedules: reconfigure keeps an unchanged schedule, adds, removes and replaces (counters kept), stop ends all', async () => {
  const clock = new FakeClock();
  clock.time = Date.UTC(2026, 0, 1, 0, 0, 0, 500);
  const { runner, runs } = fakeRunner(clock);
  const events: EventInput[] = [];
  const set = new Schedules({ emit: (e) => events.push(e), ctx: { baseEnv: {}, cwd: '/' }, timers: clock, now: clock.now });
  const a = scheduledTask({ name: 'a' });
  const b = scheduledTask({ name: 'b', schedule: '0 0 * * *' });
  const start = scheduledTask({ name: 'migrate', schedule: undefined });
  set.start({ tasks: [a, b, start] }, runner);
  assert.deepEqual(set.status().map((s) => s.task), ['a', 'b']);
  await clock.advance(500);
  assert.equal(runs.length, 1);
  runs[0]?.end();
  await settle();
  const a2 = scheduledTask({ name: 'a', schedule: '*/2 * * * * *' });
  const c = scheduledTask({ name: 'c', schedule: '0 0 * * *' });
  await set.reconfigure({ tasks: [a2, c, b] });
  const st = set.status();
  assert.deepEqual(st.map((s) => [s.task, s.schedule]), [['a', '*/2 * * * * *'], ['b', '0 0 * * *'], ['c', '0 0 * * *']]);
  assert.equal(st[0]?.runs, 1, 'a replaced schedule keeps its counters');
  await set.reconfigure({ tasks: [c] });
  assert.deepEqual(set.status().map((s) => s.task), ['c']);
  await set.stop();
  assert.equal(clock.pending, 0);
  assert.deepEqual(set.status(), []);
});
