/**
 * Arbiter.apply's steps (supervisor/apply.ts) against fake watchers and fake sockets: no
 * process is spawned. The staging of SocketSet runs on real loopback sockets, port 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import type { Config, WatcherConfig } from '../../src/config/types.js';
import { RingmasterError } from '../../src/errors/codes.js';
import { createLogger } from '../../src/log/logger.js';
import { applyPlan, type ApplyTarget, type ApplyWatcher } from '../../src/supervisor/apply.js';
import type { RolloutResult } from '../../src/supervisor/events.js';
import { planReload } from '../../src/supervisor/reload-plan.js';
import { SocketSet, type SocketChange } from '../../src/supervisor/socket-set.js';
import { yaml } from '../config/helpers.js';

class FakeWatcher implements ApplyWatcher {
  config: WatcherConfig;
  desired: number;
  readonly calls: string[];
  readonly rollout: (next: WatcherConfig) => RolloutResult;
  constructor(config: WatcherConfig, calls: string[], rollout: (next: WatcherConfig) => RolloutResult) {
    this.config = config;
    this.desired = config.numprocesses;
    this.calls = calls;
    this.rollout = rollout;
  }
  get name(): string {
    return this.config.name;
  }
  async start(): Promise<void> {
    this.calls.push(`start ${this.name}`);
  }
  async scale(n: number): Promise<number> {
    this.calls.push(`scale ${this.name}=${n}`);
    this.desired = n;
    return n;
  }
  async reconfigure(next: WatcherConfig): Promise<RolloutResult> {
    this.calls.push(`reconfigure ${this.name}`);
    const result = this.rollout(next);
    // as the watcher does: on failure it is back on its old config
    if (result.kind === 'done') this.config = next;
    return result;
  }
}

interface Harness {
  target: ApplyTarget<FakeWatcher>;
  calls: string[];
  lines: string[];
  pool: FakeWatcher[];
}

/** A target whose watchers are those of `config`; `fail` makes one step throw. */
function harness(config: Config, o: { fail?: 'check' | 'prepare' | 'make' | 'commit'; rollout?: Record<string, RolloutResult> } = {}): Harness {
  const calls: string[] = [];
  const lines: string[] = [];
  const refuse = (step: string): never => {
    throw new RingmasterError('RM_SOCKET', `${step} failed`);
  };
  const watcher = (wc: WatcherConfig): FakeWatcher => new FakeWatcher(wc, calls, () => o.rollout?.[wc.name] ?? { kind: 'done', replaced: wc.numprocesses });
  const pool = config.watchers.map(watcher);
  const change: SocketChange = {
    commit: () => (o.fail === 'commit' ? refuse('commit') : calls.push('sockets commit')),
    abort: () => calls.push('sockets abort'),
    closeOld: () => calls.push('sockets closeOld'),
  };
  const target: ApplyTarget<FakeWatcher> = {
    log: createLogger({ verbosity: 4, write: (l) => lines.push(l) }),
    sockets: {
      prepare: async (plan) => {
        if (o.fail === 'prepare') refuse('prepare');
        calls.push(`sockets prepare +${plan.socketsAdded.map((s) => s.name)} ~${plan.socketsChanged.map((s) => s.name)} -${plan.socketsRemoved}`);
        return change;
      },
    },
    config,
    get: (name) => pool.find((w) => w.name === name),
    check: (wc) => {
      if (o.fail === 'check') refuse(`check ${wc.name}`);
    },
    make: (wc) => (o.fail === 'make' ? refuse('make') : watcher(wc)),
    insert: (w) => {
      calls.push(`insert ${w.name}`);
      pool.push(w);
    },
    remove: async (name) => {
      calls.push(`remove ${name}`);
      pool.splice(pool.findIndex((w) => w.name === name), 1);
    },
  };
  return { target, calls, lines, pool };
}

const OLD_TEXT = `sockets:
  web: {host: 127.0.0.1, port: 8080}
  gone: {host: 127.0.0.1, port: 8081}
watchers:
  web: {cmd: app, sockets: [web], numprocesses: 2}
  batch: {cmd: batch, numprocesses: 1}
  old: {cmd: old, sockets: [gone]}
`;
const OLD = yaml(OLD_TEXT);

const NEXT = yaml(`sockets:
  web: {host: 127.0.0.1, port: 9090}
  api: {host: 127.0.0.1, port: 8082}
watchers:
  web: {cmd: app, sockets: [web], numprocesses: 3}
  batch: {cmd: batch, numprocesses: 4}
  api: {cmd: api, sockets: [api]}
`);

test('apply: sockets staged and committed before any watcher moves, old ones closed after; the result says what changed', async () => {
  const h = harness(OLD);
  const plan = planReload(OLD, NEXT);
  const r = await applyPlan(h.target, plan, NEXT);
  assert.equal(r.kind, 'applied');
  assert.deepEqual(h.calls, [
    'sockets prepare +api ~web -gone',
    'sockets commit',
    'insert api',
    'remove old',
    'start api',
    'reconfigure web',
    'scale web=3',
    'scale batch=4',
    'sockets closeOld',
  ]);
  if (r.kind !== 'applied') return;
  assert.deepEqual(
    { ...r, config: undefined },
    {
      kind: 'applied',
      config: undefined,
      socketsAdded: ['api'],
      socketsRemoved: ['gone'],
      socketsChanged: ['web'],
      socketsUpdated: [],
      watchersAdded: ['api'],
      watchersRemoved: ['old'],
      watchersRestarted: [{ name: 'web', result: { kind: 'done', replaced: 2 } }],
      watchersScaled: [{ name: 'batch', numprocesses: 4 }],
      watchersKept: [],
      options: [],
    },
  );
  assert.equal(r.config, NEXT);
  assert.equal(h.target.config, NEXT);
});

test('apply: a watcher whose new workers do not get ready keeps its old config, in the result and in the config in force', async () => {
  const failed: RolloutResult = { kind: 'failed', wid: 1, pid: 42, message: 'new worker 1 (pid 42) did not become ready (http); 2 old workers kept', replaced: 0, kept: 2 };
  const h = harness(OLD, { rollout: { web: failed } });
  const r = await applyPlan(h.target, planReload(OLD, NEXT), NEXT);
  assert.equal(r.kind, 'applied');
  if (r.kind !== 'applied') return;
  const oldWeb = OLD.watchers.find((w) => w.name === 'web');
  assert.deepEqual(r.watchersRestarted, [{ name: 'web', result: failed }]);
  assert.deepEqual(r.watchersKept, [{ name: 'web', config: oldWeb, why: failed.message }]);
  assert.ok(!h.calls.includes('scale web=3'), 'a watcher kept on its old config is not scaled to the new count');
  assert.ok(h.calls.includes('scale batch=4') && h.calls.at(-1) === 'sockets closeOld', 'the rest of the reload goes on');
  assert.equal(r.config.watchers.find((w) => w.name === 'web'), oldWeb);
  assert.equal(r.config.watchers.find((w) => w.name === 'batch'), NEXT.watchers.find((w) => w.name === 'batch'));
  assert.equal(h.target.config, r.config);
  assert.equal(h.lines.filter((l) => l.includes('reload: the new workers did not become ready; the watcher keeps its old configuration')).length, 1);
});

test('apply: refused at each step that can fail, with nothing changed (what was staged is undone)', async () => {
  const plan = planReload(OLD, NEXT);
  const cases: Array<['check' | 'prepare' | 'make' | 'commit', string[]]> = [
    ['check', []],
    ['prepare', []],
    ['make', ['sockets prepare +api ~web -gone', 'sockets abort']],
    // a commit that throws has undone its own part
    ['commit', ['sockets prepare +api ~web -gone']],
  ];
  for (const [fail, calls] of cases) {
    const h = harness(OLD, { fail });
    const r = await applyPlan(h.target, plan, NEXT);
    assert.equal(r.kind, 'refused', fail);
    if (r.kind === 'refused') assert.match(r.error.message, new RegExp(fail));
    assert.deepEqual(h.calls, calls, fail);
    assert.equal(h.target.config, OLD, `${fail}: the config in force is the old one`);
    assert.deepEqual(h.pool.map((w) => w.name), OLD.watchers.map((w) => w.name), `${fail}: no watcher added or removed`);
  }
});

test('apply: a socket the plan cannot bind while ringmaster holds its address is refused before any lookup or bind', async () => {
  const next = yaml(OLD_TEXT.replace('port: 8080}', 'port: 8080, so_reuseport: true}'));
  const h = harness(OLD, { fail: 'check' });
  const r = await applyPlan(h.target, planReload(OLD, next), next);
  assert.equal(r.kind, 'refused');
  if (r.kind === 'refused') {
    assert.equal(r.error.code, 'RM_SOCKET');
    assert.match(r.error.message, /socket "web": changing so_reuseport needs a new socket at 127\.0\.0\.1:8080/);
  }
  assert.deepEqual(h.calls, []);
});

test('apply: an empty plan changes nothing but the config in force', async () => {
  const h = harness(OLD);
  const same = yaml(`# the same, written again\n${OLD_TEXT}`);
  const r = await applyPlan(h.target, planReload(OLD, same), same);
  assert.equal(r.kind, 'applied');
  assert.deepEqual(h.calls, ['sockets prepare + ~ -', 'sockets commit', 'sockets closeOld']);
  assert.equal(h.target.config, same);
});

async function accepts(port: number): Promise<boolean> {
  const c = connect(port, '127.0.0.1');
  try {
    await Promise.race([once(c, 'connect'), once(c, 'error').then(([e]) => Promise.reject(e))]);
    return true;
  } catch {
    return false;
  } finally {
    c.destroy();
  }
}

test('SocketSet.prepare: new sockets bound but not in the set until commit; the old copy of a changed socket serves until closeOld; abort closes the new ones', async () => {
  const base = yaml('sockets:\n  a: {host: 127.0.0.1, port: 0}\n  b: {host: 127.0.0.1, port: 0}\nwatchers: {w: {cmd: x, sockets: [a, b]}}\n');
  const set = await SocketSet.bind(base.sockets);
  try {
    const portOf = (name: string): number => set.get(name)?.port as number;
    const [a, b] = [portOf('a'), portOf('b')];
    // `a` moves to another host (a new socket), `b` goes, `c` comes; port 0 binds anywhere free
    const next = yaml('sockets:\n  a: {host: 127.0.0.2, port: 0}\n  c: {host: 127.0.0.1, port: 0}\nwatchers: {w: {cmd: x, sockets: [a, c]}}\n');
    const plan = planReload(base, next);
    assert.deepEqual([plan.socketsChanged.map((s) => s.name), plan.socketsAdded.map((s) => s.name), plan.socketsRemoved], [['a'], ['c'], ['b']]);

    const aborted = await set.prepare(plan);
    assert.deepEqual(set.list().map((s) => s.name), ['a', 'b'], 'nothing visible before commit');
    aborted.abort();
    assert.throws(() => aborted.commit(), /commit\(\) when aborted/);
    assert.deepEqual([await accepts(a), await accepts(b)], [true, true], 'the old sockets are untouched');

    const change = await set.prepare(plan);
    change.commit();
    assert.deepEqual(set.list().map((s) => s.name).sort(), ['a', 'b', 'c'], 'b stays until closeOld: the old workers may still use it');
    assert.equal(set.get('a')?.url.startsWith('tcp://127.0.0.2:'), true);
    assert.equal(await accepts(a), true, 'the old copy of a keeps its queue until its watchers moved');
    assert.equal(await accepts(portOf('c')), true);
    change.closeOld();
    assert.deepEqual(set.list().map((s) => s.name).sort(), ['a', 'c']);
    assert.deepEqual([await accepts(a), await accepts(b)], [false, false], 'the removed socket and the old copy of the changed one are closed');
    assert.throws(() => change.closeOld(), /closeOld\(\) when done/);
  } finally {
    set.close();
  }
});
