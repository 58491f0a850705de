/**
 * `depends_on` on watchers and tasks: names resolved to their target's exact name, each
 * once; every wrong name is an error naming it; cycles are named whole; the cycle check
 * is iterative (a chain of 100 000 does not touch the call stack), and hostile lists
 * stay bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cycleText, findCycles, MAX_DEPENDS_ON } from '../../src/config/depends.js';
import { MAX_TASKS, MAX_WATCHERS } from '../../src/config/limits.js';
import { ini, issuesOf, messagesOf, yaml } from './helpers.js';

const times = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('');

describe('depends_on', () => {
  it('resolves names case-insensitively to the exact name of a watcher or start task, each once, in the order written', () => {
    const text = `watchers:
  Web: {cmd: x, depends_on: [MIGRATE, cache, Cache, migrate]}
  cache: {cmd: x}
tasks:
  Migrate: {cmd: x, depends_on: [CACHE]}
`;
    const c = yaml(text);
    assert.deepEqual(c.watchers.map((w) => [w.name, w.depends_on]), [['Web', ['Migrate', 'cache']], ['cache', []]]);
    assert.deepEqual(c.tasks.map((t) => [t.name, t.depends_on]), [['Migrate', ['cache']]]);
    const i = ini('[watcher:Web]\ncmd = x\ndepends_on = MIGRATE, cache Cache,,migrate\n[watcher:cache]\ncmd = x\n[task:Migrate]\ncmd = x\ndepends_on = CACHE\n');
    assert.deepEqual(i.watchers.map((w) => [w.name, w.depends_on]), [['Web', ['Migrate', 'cache']], ['cache', []]]);
    assert.deepEqual(i.tasks.map((t) => [t.name, t.depends_on]), [['Migrate', ['cache']]]);
    assert.deepEqual(yaml('watchers:\n  w: {cmd: x}\n').watchers[0]?.depends_on, []);
    assert.deepEqual(ini('[watcher:w]\ncmd = x\ndepends_on =\n').watchers[0]?.depends_on, []);
  });

  it('refuses an unknown name, with a "did you mean" or the names there are', () => {
    assert.deepEqual(messagesOf(() => yaml('watchers:\n  web: {cmd: x, depends_on: [migrat, redis]}\ntasks:\n  migrate: {cmd: x}\n')), [
      'watchers.web.depends_on names "migrat", which is not a watcher or a task; did you mean "migrate"? (ringmaster.yaml:2:30)',
      'watchers.web.depends_on names "redis", which is not a watcher or a task; the watchers and tasks are web, migrate (ringmaster.yaml:2:38)',
    ]);
    const many = `[watcher:web]\ncmd = x\ndepends_on = nope\n${times(11, (i) => `[task:t${i}]\ncmd = x\n`)}`;
    assert.deepEqual(messagesOf(() => ini(many)), [
      'watchers.web.depends_on names "nope", which is not a watcher or a task; define it under watchers or tasks (circus.ini:3:14)',
    ]);
    assert.equal(issuesOf(() => ini(many))[0]?.code, 'RM_CONFIG_REFERENCE');
  });

  it('refuses a scheduled or a when: stop task as a dependency, and depends_on on them', () => {
    const text = `watchers:
  web: {cmd: x, depends_on: [report, flush]}
tasks:
  report: {cmd: x, schedule: "0 3 * * *"}
  flush: {cmd: x, when: stop}
`;
    assert.deepEqual(messagesOf(() => yaml(text)), [
      'watchers.web.depends_on names task "report", which is a scheduled task: it runs only on its schedule, so nothing can wait for it; remove it from depends_on (ringmaster.yaml:2:30)',
      'watchers.web.depends_on names task "flush", which runs at stop (when: stop), after every watcher stopped, so nothing can wait for it; remove it from depends_on (ringmaster.yaml:2:38)',
    ]);
    assert.deepEqual(messagesOf(() => ini('[watcher:db]\ncmd = x\n[task:report]\ncmd = x\nschedule = * * * * *\ndepends_on = db\n[task:flush]\ncmd = x\nwhen = stop\ndepends_on = db\n')), [
      'tasks.report.depends_on: a scheduled task runs on its schedule, so it waits for nothing; remove depends_on (circus.ini:6:14)',
      'tasks.flush.depends_on: a when: stop task runs at shutdown, after every watcher stopped, so it waits for nothing; remove depends_on (circus.ini:10:14)',
    ]);
  });

  it('refuses a section that depends on itself, and names each cycle whole', () => {
    assert.deepEqual(messagesOf(() => ini('[watcher:web]\ncmd = x\ndepends_on = WEB\n')), [
      'watchers.web.depends_on names "WEB", itself: a watcher or task cannot wait for itself; remove it (circus.ini:3:14)',
    ]);
    const text = `watchers:
  a: {cmd: x, depends_on: [b]}
  b: {cmd: x, depends_on: [A]}
  c: {cmd: x, depends_on: [d]}
  e: {cmd: x, depends_on: [a]}
tasks:
  d: {cmd: x, depends_on: [f]}
  f: {cmd: x, depends_on: [c]}
`;
    const issues = issuesOf(() => yaml(text));
    assert.deepEqual(issues.map((i) => [i.code, i.message]), [
      ['RM_CONFIG_CONFLICT', 'watchers.a.depends_on: a dependency cycle, a -> b -> a: nothing in it could ever start; remove one of these dependencies (ringmaster.yaml:2:27)'],
      ['RM_CONFIG_CONFLICT', 'watchers.c.depends_on: a dependency cycle, c -> d -> f -> c: nothing in it could ever start; remove one of these dependencies (ringmaster.yaml:4:27)'],
    ]);
    const fromIni = messagesOf(() => ini('[watcher:a]\ncmd = x\ndepends_on = b\n[watcher:b]\ncmd = x\ndepends_on = a\n'));
    assert.deepEqual(fromIni, ['watchers.a.depends_on: a dependency cycle, a -> b -> a: nothing in it could ever start; remove one of these dependencies (circus.ini:3:14)']);
  });

  it('refuses names that cannot be names, and a list that is not one', () => {
    assert.deepEqual(messagesOf(() => yaml('watchers:\n  w: {cmd: x, depends_on: "db"}\n  db: {cmd: x}\n')), [
      'watchers.w.depends_on must be a list of names, got "db" (ringmaster.yaml:2:27)',
    ]);
    assert.equal(issuesOf(() => ini('[watcher:w]\ncmd = x\ndepends_on = a;b\n'))[0]?.path, 'watchers.w.depends_on');
    // a value the schema refused does not hide what only the build sees
    const paths = issuesOf(() => yaml('watchers:\n  w: {cmd: x, depends_on: db, success_exit_codes: 3}\n  v: {cmd: x, depends_on: [nope]}\n')).map((i) => i.path);
    assert.deepEqual(paths, ['watchers.w.depends_on', 'watchers.w.success_exit_codes', 'watchers.v.depends_on']);
  });
});

describe('depends_on, hostile', () => {
  it('finds no cycle in a chain of 100 000, and the whole cycle at its end, without recursion', () => {
    const n = 100_000;
    const chain = Array.from({ length: n }, (_, i) => i);
    assert.deepEqual(findCycles(chain, (i) => (i + 1 < n ? [i + 1] : [])), []);
    const cycles = findCycles(chain, (i) => [(i + 1) % n]);
    assert.equal(cycles.length, 1);
    assert.equal(cycles[0]?.length, n);
    assert.deepEqual(cycles[0]?.slice(0, 3), [0, 1, 2]);
    // a dense graph: every node to every later one, plus one edge back
    const k = 300;
    const dense = Array.from({ length: k }, (_, i) => i);
    const found = findCycles(dense, (i) => (i === k - 1 ? [0] : dense.slice(i + 1)));
    assert.ok(found.length >= 1 && found.every((c) => c[0] === 0));
  });

  it('elides the middle of a long cycle in its message', () => {
    assert.equal(cycleText(['a', 'b']), 'a -> b -> a');
    const names = Array.from({ length: 1000 }, (_, i) => `n${i}`);
    assert.equal(
      cycleText(names),
      'n0 -> n1 -> n2 -> n3 -> n4 -> n5 -> n6 -> n7 -> n8 -> n9 -> ... (980 more) -> n990 -> n991 -> n992 -> n993 -> n994 -> n995 -> n996 -> n997 -> n998 -> n999 -> n0',
    );
  });

  it('loads a chain through every watcher and task there may be, and names its cycle once', () => {
    const n = MAX_WATCHERS + MAX_TASKS;
    const section = (i: number, next: number): string => `[${i < MAX_WATCHERS ? 'watcher' : 'task'}:n${i}]\ncmd = x\n${next < n ? `depends_on = n${next}\n` : ''}`;
    const chain = ini(times(n, (i) => section(i, i + 1)));
    assert.equal(chain.watchers.length + chain.tasks.length, n);
    assert.deepEqual(chain.tasks.at(-2)?.depends_on, ['n999']);
    const loop = messagesOf(() => ini(times(n, (i) => section(i, (i + 1) % n))));
    assert.equal(loop.length, 1);
    assert.match(loop[0] ?? '', /^watchers\.n0\.depends_on: a dependency cycle, n0 -> n1 -> .* -> \.\.\. \(980 more\) -> .* -> n999 -> n0: nothing in it could ever start/);
  });

  it('bounds a list of thousands of names: counted past the first 100 problems, refused past MAX_DEPENDS_ON', () => {
    const unknown = messagesOf(() => ini(`[watcher:w]\ncmd = x\ndepends_on = ${Array.from({ length: 1000 }, (_, i) => `zz${i}`).join(',')}\n`));
    assert.equal(unknown.length, 101);
    assert.equal(unknown[100], '900 more depends_on problems are not listed (the first 100 are)');
    const huge = Array(30_000).fill('w').join(' ');
    assert.deepEqual(messagesOf(() => ini(`[watcher:w]\ncmd = x\ndepends_on = ${huge}\n`)), [
      `watchers.w.depends_on lists 30000 names, more than there can be watchers and tasks (${MAX_DEPENDS_ON}); name each one once (circus.ini:3:14)`,
    ]);
    // many cycles: ten said, the rest counted
    const pairs = times(30, (i) => `[watcher:a${i}]\ncmd = x\ndepends_on = b${i}\n[watcher:b${i}]\ncmd = x\ndepends_on = a${i}\n`);
    const cycles = messagesOf(() => ini(pairs));
    assert.equal(cycles.length, 11);
    assert.ok(cycles.includes('20 more dependency cycles are not listed (the first 10 are)'));
  });
});
