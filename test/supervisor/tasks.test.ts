/**
 * Tasks and depends_on, with ringmaster as PID 1 of a PID namespace and real processes:
 * a migration gating a web watcher, a failing task ending the init with its status, a
 * timeout, a watcher waiting for another's READY=1, stop tasks after the watchers, and
 * what status, /readyz and /metrics say of them.
 *
 * Where the order matters, the first thing is held back by a watcher with autostart
 * false that `ctl start` releases once `ctl events` streams, so the stream sees it all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIXTURES, startRingmaster, type Started } from '../helpers/run.js';
import { ctl } from '../helpers/ctl.js';
import { tempDir } from '../helpers/config.js';
import { collectEvents, type EventLog } from '../helpers/events.js';
import { get, httpUrl } from '../helpers/http.js';

/** Start ringmaster on `yaml` (r.yaml in a temp dir), run `fn`, then end it and remove the dir. */
async function withInit(yaml: string, fn: (rm: Started, t: ReturnType<typeof tempDir>) => Promise<void>): Promise<void> {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('r.yaml', yaml)]);
  try {
    await fn(rm, t);
  } finally {
    await rm.close();
    t.cleanup();
  }
}

/** Once it is up: `ctl events` around `fn`, then SIGTERM, and it exits 0. */
async function eventsThenStop(rm: Started, fn: (events: EventLog) => Promise<void>): Promise<void> {
  await up(rm);
  const events = await collectEvents(rm);
  try {
    await fn(events);
  } finally {
    await events.close();
  }
  process.kill(await rm.initPidNow(), 'SIGTERM');
  assert.equal((await rm.exit()).code, 0, rm.stderr());
}

async function up(rm: Started): Promise<number> {
  await rm.waitStderr((s) => s.includes('all watchers started'));
  return rm.initPidNow();
}

test('a migration task gates a web watcher: its first spawn comes after the task succeeded; a watcher that depends on nothing does not wait', async () => {
  const yaml = `tasks:
  migrate:
    cmd: sh -c "echo migrating; sleep 0.3; echo migrated"
    depends_on: [gate]
watchers:
  gate:
    cmd: sleep 60
    autostart: false
  web:
    cmd: sleep 60
    depends_on: [migrate]
  side:
    cmd: sleep 60
`;
  await withInit(yaml, (rm) =>
    eventsThenStop(rm, async (events) => {
      const status = await ctl(rm, ['status']);
      assert.match(status.stdout, /web\s+waiting/, status.stdout);
      assert.match(status.stdout, /waiting for: migrate \(task waiting\)/, status.stdout);
      assert.match(status.stdout, /waiting for: gate \(watcher not started: ctl start gate\)/, status.stdout);
      assert.equal((await ctl(rm, ['start', 'gate'])).code, 0);
      const done = await events.waitFor('task.finished', (e) => e.task === 'migrate');
      assert.equal(done.result.kind, 'success');
      assert.deepEqual(done.result.tail, ['migrating', 'migrated']);
      const started = events.all('task.started', (e) => e.task === 'migrate');
      assert.equal(started.length, 1);
      assert.ok(typeof started[0]?.pid === 'number');
      const web = await events.waitFor('worker.spawned', (e) => e.watcher === 'web');
      assert.ok(web.seq > done.seq, 'web spawns after the task finished');
      assert.ok(events.all('worker.spawned', (e) => e.watcher === 'web' && e.seq < done.seq).length === 0);
      const met = await events.waitFor('deps.waiting', (e) => e.name === 'web' && e.on.length === 0);
      assert.ok(met.seq < web.seq);
      assert.match(rm.stdout(), /^migrate \| migrated$/m, 'the task output is labelled with its name');
      assert.match(rm.stderr() + rm.stdout(), /worker started watcher=side/);
    }),
  );
});

test('a start task that fails after its retries ends the init with its status, starts nothing that depends on it, and the log names it with its last lines', async () => {
  const yaml = `ringmaster:
  graceful_timeout: 5
tasks:
  migrate:
    cmd: sh -c "echo connecting to db; echo 'FATAL relation missing' >&2; exit 3"
    retries: 1
    backoff_initial: 0.1
watchers:
  web:
    cmd: sleep 60
    depends_on: [migrate]
  front:
    cmd: sleep 60
    depends_on: [web]
  side:
    cmd: sleep 60
`;
  await withInit(yaml, async (rm) => {
    const r = await rm.exit();
    const log = rm.stderr();
    assert.equal(r.code, 3, log);
    assert.match(log, /start task "migrate" failed after 2 attempts with status 3/);
    assert.match(log, /task failed; its last output:\n {2}connecting to db\n {2}FATAL relation missing/);
    assert.equal((log.match(/task started task=migrate/g) ?? []).length, 2, log);
    assert.doesNotMatch(log, /worker started watcher=(web|front)/);
    // what started (side) was stopped before the init ended
    assert.match(log, /worker stopped watcher=side/);
  });
});

test('a task past its timeout is stopped (TERM, then KILL when it ignores it) and fails; a command that is not there fails with 127', async () => {
  const t = tempDir();
  const yaml = `tasks:
  slow:
    cmd: sh -c "trap '' TERM; echo started; sleep 30"
    timeout: 0.5
    graceful_timeout: 0.5
watchers:
  web:
    cmd: sleep 60
    depends_on: [slow]
`;
  const rm = startRingmaster(['-c', t.write('r.yaml', yaml)]);
  try {
    const r = await rm.exit();
    const log = rm.stderr();
    assert.equal(r.code, 128 + 9, log);
    assert.match(log, /ran past its timeout of 0.5s and was stopped with SIGTERM, then SIGKILL 0.5s later/);
    assert.match(log, /its last output:\n {2}started/);
  } finally {
    await rm.close();
  }
  const missing = `tasks:
  nope:
    cmd: /no/such/command
watchers:
  web:
    cmd: sleep 60
`;
  const rm2 = startRingmaster(['-c', t.write('m.yaml', missing)]);
  try {
    const r = await rm2.exit();
    assert.equal(r.code, 127, rm2.stderr());
    assert.match(rm2.stderr(), /\/no\/such\/command: command not found \(ENOENT\)/);
  } finally {
    await rm2.close();
    t.cleanup();
  }
});

test("a watcher starts only after its dependency's READY=1; /readyz names what it waits for meanwhile", async () => {
  const yaml = `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
watchers:
  db:
    cmd: node ${FIXTURES}notify-worker.mjs
    ready: notify
    autostart: false
    env:
      NOTIFY_DELAY_MS: "400"
  web:
    cmd: sleep 60
    depends_on: [db]
`;
  await withInit(yaml, (rm) =>
    eventsThenStop(rm, async (events) => {
      const readyz = await get(`${httpUrl(rm)}/readyz`);
      assert.equal(readyz.status, 503, readyz.body);
      assert.match(readyz.body, /"watcher":"web","reason":"waiting for its dependencies: db"/);
      const json = JSON.parse((await ctl(rm, ['status', '--json'])).stdout) as { watchers: Array<{ name: string; phase: string; waitingFor?: string[] }> };
      assert.deepEqual(json.watchers.find((w) => w.name === 'web'), { ...json.watchers.find((w) => w.name === 'web'), phase: 'waiting', waitingFor: ['db'] });
      assert.equal((await ctl(rm, ['start', 'db'])).code, 0);
      const ready = await events.waitFor('worker.ready', (e) => e.watcher === 'db');
      const web = await events.waitFor('worker.spawned', (e) => e.watcher === 'web');
      assert.ok(web.seq > ready.seq);
      assert.equal(events.all('worker.spawned', (e) => e.watcher === 'web').length, 1);
      const db = events.all('worker.spawned', (e) => e.watcher === 'db');
      assert.ok(db.length === 1 && (db[0] as { seq: number }).seq < ready.seq);
    }),
  );
});

test('stop order is the graph reversed, then the stop task runs once every watcher stopped; status and metrics show the tasks', async () => {
  const yaml = `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
tasks:
  migrate:
    cmd: sh -c "echo ok"
  cleanup:
    cmd: sh -c "echo cleaning up"
    when: stop
watchers:
  web:
    cmd: sleep 60
    depends_on: [db, migrate]
    priority: 10
  db:
    cmd: sleep 60
`;
  await withInit(yaml, async (rm) => {
    await up(rm);
    const status = await ctl(rm, ['status']);
    assert.match(status.stdout, /TASK\s+WHEN\s+STATE\s+RUNS\s+LAST RUN/, status.stdout);
    assert.match(status.stdout, /migrate\s+start\s+succeeded\s+1\s+succeeded in [\d.]+s, \d+s ago/, status.stdout);
    assert.match(status.stdout, /cleanup\s+stop\s+pending\s+0\s+-/, status.stdout);
    const json = JSON.parse((await ctl(rm, ['status', '--json'])).stdout) as { tasks: Array<{ name: string; state: string; runs: number; lastRun?: { result: string; status: number } }> };
    const migrate = json.tasks.find((x) => x.name === 'migrate');
    assert.equal(migrate?.state, 'succeeded');
    assert.deepEqual([migrate?.runs, migrate?.lastRun?.result, migrate?.lastRun?.status], [1, 'success', 0]);
    const metrics = (await get(`${httpUrl(rm)}/metrics`)).body;
    assert.match(metrics, /^ringmaster_task_runs_total\{task="migrate",result="success"\} 1$/m);
    assert.match(metrics, /^ringmaster_task_runs_total\{task="migrate",result="failure"\} 0$/m);
    assert.match(metrics, /^ringmaster_task_last_success_timestamp_seconds\{task="migrate"\} \d+(\.\d+)?$/m);
    assert.match(metrics, /^ringmaster_task_duration_seconds\{task="migrate"\} [\d.e-]+$/m);
    assert.match(metrics, /^ringmaster_task_skipped_total\{task="cleanup"\} 0$/m);
    const readyz = await get(`${httpUrl(rm)}/readyz`);
    assert.equal(readyz.status, 200, readyz.body);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
    const log = rm.stderr();
    const at = (re: RegExp): number => {
      const m = re.exec(log);
      assert.ok(m, `${re} in ${log}`);
      return m.index;
    };
    // web depends on db: it stops first, although db has the lower priority
    assert.ok(at(/worker stopped watcher=web/) < at(/worker stopped watcher=db/), log);
    assert.ok(at(/worker stopped watcher=db/) < at(/task started task=cleanup/), log);
    assert.match(rm.stdout(), /^cleanup \| cleaning up$/m, 'the task output goes to stdout, labelled');
  });
});

test('SIGTERM during a long start task stops it at once and ends the init', async () => {
  const yaml = `tasks:
  long:
    cmd: sleep 60
watchers:
  web:
    cmd: sleep 60
    depends_on: [long]
`;
  await withInit(yaml, async (rm) => {
    await rm.waitStderr((s) => s.includes('task started task=long'));
    process.kill(await rm.initPidNow(), 'SIGTERM');
    const r = await rm.exit();
    assert.equal(r.code, 0, rm.stderr());
    assert.match(rm.stderr(), /task failed task=long attempt=1 status=143 signal=SIGTERM/);
    assert.doesNotMatch(rm.stderr(), /terminating remaining processes/, 'the stop waits for the task it stopped');
    assert.doesNotMatch(rm.stderr(), /worker started watcher=web/);
  });
});

test('a reload that adds a start task and a watcher depending on it runs the task first, then starts the watcher; a stop task added is run at shutdown', async () => {
  const before = `watchers:
  side:
    cmd: sleep 60
`;
  const after = `${before}  api:
    cmd: sleep 60
    depends_on: [seed, side]
tasks:
  seed:
    cmd: sh -c "sleep 0.2; echo seeded"
  bye:
    cmd: sh -c "echo bye"
    when: stop
`;
  await withInit(before, async (rm, t) => {
    await eventsThenStop(rm, async (events) => {
      t.write('r.yaml', after);
      const r = await ctl(rm, ['reload']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const done = await events.waitFor('task.finished', (e) => e.task === 'seed');
      assert.equal(done.result.kind, 'success');
      const api = await events.waitFor('worker.spawned', (e) => e.watcher === 'api');
      assert.ok(api.seq > done.seq, 'api spawns after seed succeeded');
      assert.equal(events.all('task.started', (e) => e.task === 'seed').length, 1);
    });
    assert.match(rm.stdout(), /^bye \| bye$/m);
  });
});

test('a task ends with its main process (what it left behind does not hold it); a failure shows its last 20 lines only', async () => {
  const yaml = `tasks:
  bg:
    cmd: sh -c "sleep 30 & echo started in the background"
  many:
    cmd: sh -c "seq 1 30; exit 4"
    depends_on: [bg]
watchers:
  web:
    cmd: sleep 60
    depends_on: [many]
`;
  await withInit(yaml, async (rm) => {
    const r = await rm.exit();
    const log = rm.stderr();
    assert.equal(r.code, 4, log);
    assert.match(log, /task succeeded task=bg/);
    assert.match(log, /its last output:\n {2}11\n {2}12\n[\s\S]* {2}30 task=many/);
    assert.doesNotMatch(log, /its last output:\n {2}10\n/);
  });
});
