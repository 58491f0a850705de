/** Reloads in sequence (lifecycle/reloads.ts), against a fake arbiter: no process, no file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config } from '../../src/config/types.js';
import { RingmasterError } from '../../src/errors/codes.js';
import { createLogger } from '../../src/log/logger.js';
import { Reloads, type ReloadReport } from '../../src/lifecycle/reloads.js';
import type { ApplyResult } from '../../src/supervisor/apply.js';
import type { ReloadPlan } from '../../src/supervisor/reload-plan.js';
import { yaml } from '../config/helpers.js';

const config = (n: number): Config => yaml(`watchers:\n  web: {cmd: app, numprocesses: ${n}}\n  api: {cmd: api}\n`);

function harness(loads: Array<Config | Error>, results: Array<(plan: ReloadPlan, next: Config) => ApplyResult>) {
  const reports: ReloadReport[] = [];
  const lines: string[] = [];
  const applied: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  const arbiter = {
    config: config(1),
    async apply(plan: ReloadPlan, next: Config): Promise<ApplyResult> {
      applied.push(`start ${next.watchers[1]?.numprocesses}`);
      await gate;
      applied.push('end');
      const r = (results.shift() ?? ((_p: ReloadPlan, n: Config) => applied1(n)))(plan, next);
      if (r.kind === 'applied') arbiter.config = r.config;
      return r;
    },
  };
  const reloads = new Reloads({
    log: createLogger({ verbosity: 2, write: (l) => lines.push(l) }),
    load: async () => {
      const next = loads.shift();
      if (next instanceof Error) throw next;
      return next ?? null;
    },
    current: () => arbiter.config,
    arbiter: () => arbiter,
    report: (r) => reports.push(r),
  });
  return { reloads, reports, lines, applied, arbiter, hold: (p: Promise<void>) => (gate = p) };
}

function applied1(config: Config, kept: string[] = []): ApplyResult {
  return {
    kind: 'applied',
    config,
    socketsAdded: [],
    socketsRemoved: [],
    socketsChanged: [],
    socketsUpdated: [],
    watchersAdded: [],
    watchersRemoved: [],
    watchersRestarted: [],
    watchersScaled: [],
    watchersKept: kept.map((name) => ({ name, config: config.watchers[0] as Config['watchers'][number], why: 'not ready' })),
    options: [],
  };
}

test('reloads: one at a time, in the order asked; each reported and counted', async () => {
  const h = harness([config(3), config(4)], []);
  let release = (): void => {};
  h.hold(new Promise<void>((r) => (release = r)));
  const first = h.reloads.reload();
  const second = h.reloads.reload();
  while (h.applied.length === 0) await new Promise((r) => setImmediate(r));
  assert.deepEqual(h.applied, ['start 3'], 'the second waits for the first');
  release();
  assert.equal(await first, 'watchers scaled: web=3');
  assert.equal(await second, 'watchers scaled: web=4');
  assert.deepEqual(h.applied, ['start 3', 'end', 'start 4', 'end']);
  assert.deepEqual(h.reports.map((r) => r.ok && r.summary), ['watchers scaled: web=3', 'watchers scaled: web=4']);
  assert.equal(h.reloads.stats.success, 2);
  assert.ok(h.lines.some((l) => l.includes('reload: watchers scaled: web=3')));
});

test('reloads: a refused one throws its error, changes nothing and is counted; a watcher kept on its old config is named', async () => {
  const refusal = new RingmasterError('RM_SOCKET', 'socket "web": cannot bind');
  const h = harness([config(3), config(5)], [() => ({ kind: 'refused', error: refusal }), (_p, n) => applied1(n, ['web'])]);
  await assert.rejects(h.reloads.reload(), refusal);
  assert.deepEqual(h.reports, [{ ok: false, error: refusal }]);
  assert.deepEqual({ ...h.reloads.stats, lastSuccessAt: 0 }, { success: 0, failure: 1, lastSuccessAt: 0, lastError: 'socket "web": cannot bind' });
  assert.equal(h.arbiter.config.watchers[1]?.numprocesses, 1);
  assert.equal(await h.reloads.reload(), 'watchers scaled: web=5; kept the old configuration of web (new workers not ready)');
  assert.deepEqual(h.reports[1], { ok: true, changed: true, summary: 'watchers scaled: web=5', keptOld: ['web'] });
  assert.equal(h.reloads.stats.lastError, undefined);
});

test('reloads from the file watch: the config in force again is nothing, a broken config is reported once', async () => {
  const broken = new RingmasterError('RM_CONFIG', 'ringmaster.yaml:1:1: bad');
  const h = harness([config(1), broken, broken, config(2)], []);
  const changed = { changed: ['ringmaster.yaml'] };
  assert.equal(await h.reloads.reload(changed), 'no change');
  await assert.rejects(h.reloads.reload(changed), broken);
  assert.equal(await h.reloads.reload(changed), 'unchanged');
  assert.equal(await h.reloads.reload(changed), 'watchers scaled: web=2');
  assert.deepEqual(h.reports.map((r) => r.ok), [false, true], 'the broken config once, then the good one');
  assert.deepEqual(h.applied, ['start 2', 'end']);
  assert.equal(h.lines.filter((l) => l.includes('configuration changed on disk: reloading')).length, 1);
});
