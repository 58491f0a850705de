/**
 * Tasks (`tasks.NAME` / `[task:NAME]`): the same words in YAML and INI, their defaults,
 * [env] and [env:PATTERN], start order, `schedule` and `timezone`, the watcher options a
 * task cannot have, name clashes with watchers, a config of tasks alone, the limit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TASK_OPTIONS, WATCHER_ONLY_HINTS, WATCHER_OPTIONS } from '../../src/config/options.js';
import { MAX_TASKS } from '../../src/config/limits.js';
import type { TaskConfig } from '../../src/config/types.js';
import { ConfigError } from '../../src/config/index.js';
import { loadConfig } from '../../src/config/index.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ini, issuesOf, messagesOf, withTempDir, yaml } from './helpers.js';

const times = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('');

const MIGRATE: TaskConfig = {
  name: 'migrate',
  argv: ['node', 'migrate.mjs', '--up'],
  cmd: 'node migrate.mjs',
  shell: false,
  working_dir: '/srv',
  uid: '1000',
  gid: undefined,
  copy_env: false,
  env: { A: '1', DB: 'main' },
  env_file: [],
  output: 'json',
  rlimits: { nofile: 1024, core: null },
  when: 'start',
  timeout: 300,
  graceful_timeout: 5,
  retries: 2,
  backoff_initial: 1,
  backoff_multiplier: 2,
  backoff_max: 15,
  backoff_jitter: 0.2,
  depends_on: ['db'],
  priority: 0,
  schedule: undefined,
  timezone: undefined,
};

describe('tasks', () => {
  it('reads the same task from YAML and INI', () => {
    const fromYaml = yaml(`env: {A: "1"}
watchers:
  db: {cmd: postgres}
tasks:
  migrate:
    cmd: node migrate.mjs
    args: [--up]
    working_dir: /srv
    uid: 1000
    copy_env: false
    env: {DB: main}
    output: json
    rlimit_nofile: 1024
    rlimit_core: unlimited
    timeout: 300
    retries: 2
    backoff_initial: 1
    depends_on: [DB]
`);
    const fromIni = ini(`[env]
A = 1
[watcher:db]
cmd = postgres
[task:migrate]
cmd = node migrate.mjs
args = --up
working_dir = /srv
uid = 1000
copy_env = no
env = DB=main
output = json
rlimit_nofile = 1024
rlimit_core =
timeout = 300
retries = 2
backoff_initial = 1
depends_on = db
`);
    assert.deepEqual(fromYaml.tasks, [MIGRATE]);
    assert.deepEqual(fromIni.tasks, [MIGRATE]);
  });

  it('fills in the defaults: at start, no timeout, graceful_timeout 5, no retries, the watcher backoff, prefixed output', () => {
    const [t] = yaml('tasks:\n  m: {cmd: x}\n').tasks;
    assert.deepEqual(t, {
      name: 'm',
      argv: ['x'],
      cmd: 'x',
      shell: false,
      working_dir: undefined,
      uid: undefined,
      gid: undefined,
      copy_env: true,
      env: {},
      env_file: [],
      output: 'prefix',
      rlimits: {},
      when: 'start',
      timeout: 0,
      graceful_timeout: 5,
      retries: 0,
      backoff_initial: 0.1,
      backoff_multiplier: 2,
      backoff_max: 15,
      backoff_jitter: 0.2,
      depends_on: [],
      priority: 0,
      schedule: undefined,
      timezone: undefined,
    });
    assert.ok(Object.isFrozen(t) && Object.isFrozen(t?.argv), 'frozen as the rest of the config');
  });

  it('gives tasks [env] and the [env:PATTERN] sections that match their name, their own env winning; $(circus.env.X) in cmd', () => {
    const c = ini('[env]\nA = 1\n[env:mig*]\nB = 2\n[env:web]\nC = 3\n[task:migrate]\ncmd = run $(circus.env.b)\nenv = B=4\n[task:seed]\ncmd = seed\n[watcher:web]\ncmd = x\n');
    assert.deepEqual(
      c.tasks.map((t) => [t.name, t.argv, t.env]),
      [
        ['migrate', ['run', '4'], { A: '1', B: '4' }],
        ['seed', ['seed'], { A: '1' }],
      ],
    );
    assert.deepEqual(yaml('env: {A: x}\ntasks:\n  t: {cmd: "echo $(circus.env.A) ${HOME}"}\n', { HOME: '/h' }).tasks[0]?.argv, ['echo', 'x', '/h']);
  });

  it('orders tasks by priority (highest first), then name; when: stop and shell are read', () => {
    const c = yaml('tasks:\n  b: {cmd: x}\n  a: {cmd: x}\n  z: {cmd: x, priority: 5}\n  s: {cmd: "x | y", when: stop, shell: true, priority: -1}\n');
    assert.deepEqual(c.tasks.map((t) => [t.name, t.when, t.shell]), [['z', 'start', false], ['a', 'start', false], ['b', 'start', false], ['s', 'stop', true]]);
    assert.deepEqual(ini('[task:s]\ncmd = x\nwhen = STOP\n').tasks[0]?.when, 'stop');
  });

  it('is a runnable config alone: start tasks, stop tasks, or only scheduled tasks (a cron container)', () => {
    assert.equal(yaml('tasks:\n  m: {cmd: x}\n').watchers.length, 0);
    assert.equal(ini('[task:flush]\ncmd = x\nwhen = stop\n').tasks.length, 1);
    const cron = yaml('tasks:\n  report: {cmd: x, schedule: "0 3 * * *", timezone: Europe/Paris}\n  tick: {cmd: y, schedule: "*/10 * * * * *"}\n');
    assert.deepEqual(cron.tasks.map((t) => [t.name, t.schedule, t.timezone]), [['report', '0 3 * * *', 'Europe/Paris'], ['tick', '*/10 * * * * *', undefined]]);
    assert.deepEqual(ini('[task:report]\ncmd = x\nschedule = 0 3 * * *\ntimezone = UTC\n').tasks[0]?.schedule, '0 3 * * *');
  });

  it('reads env_file (a path or a list) as a watcher does: below [env] and its own env, later files winning; refuses a NUL byte in it', () => {
    withTempDir((dir) => {
      writeFileSync(join(dir, 'a.env'), 'A=1\nB=2\n');
      writeFileSync(join(dir, 'b.env'), 'B=3\nC=x\n');
      writeFileSync(join(dir, 'r.yaml'), 'env: {C: "from [env]"}\ntasks:\n  n: {cmd: x, env_file: [a.env, b.env], env: {D: "4"}}\n');
      const c = loadConfig({ path: join(dir, 'r.yaml'), env: {}, cwd: dir });
      assert.deepEqual(c?.tasks[0]?.env_file, [join(dir, 'a.env'), join(dir, 'b.env')]);
      assert.deepEqual(c?.tasks[0]?.env, { A: '1', B: '3', C: 'from [env]', D: '4' });
      writeFileSync(join(dir, 'r.ini'), '[task:m]\ncmd = x\nenv_file = a.env\n');
      assert.deepEqual(loadConfig({ path: join(dir, 'r.ini'), env: {}, cwd: dir })?.tasks[0]?.env, { A: '1', B: '2' });
    });
    assert.deepEqual(messagesOf(() => yaml('tasks:\n  m: {cmd: x, env_file: [a, "b\\u0000"]}\n  n: {cmd: x, env_file: 3}\n')), [
      'tasks.m.env_file must be a path or a list of paths without a NUL byte (\\0), which no path can carry, got ["a","b\\u0000"] (ringmaster.yaml:2:25)',
      'tasks.n.env_file must be a path or a list of paths, got 3 (ringmaster.yaml:3:25)',
    ]);
  });

  it('keeps a time zone as written once Intl knows it', () => {
    for (const tz of ['UTC', 'Europe/Paris', 'America/Argentina/Buenos_Aires', 'Etc/GMT+1', 'europe/paris']) {
      assert.equal(yaml(`tasks:\n  r: {cmd: x, schedule: "* * * * *", timezone: ${tz}}\n`).tasks[0]?.timezone, tz);
    }
  });
});

describe('task errors', () => {
  it('refuses every watcher option a task cannot have, saying why (YAML and INI)', () => {
    assert.deepEqual(messagesOf(() => yaml('tasks:\n  m:\n    cmd: x\n    numprocesses: 2\n    ready: notify\n')), [
      'tasks.m.numprocesses is a watcher option, not a task option: a task runs once, to completion (a task runs one process); use a watcher for a long-running command (ringmaster.yaml:4:5)',
      'tasks.m.ready is a watcher option, not a task option: a task runs once, to completion (a task is done when it exits 0); use a watcher for a long-running command (ringmaster.yaml:5:5)',
    ]);
    assert.deepEqual(messagesOf(() => ini('[task:m]\ncmd = x\nrespawn = true\nmax_retry = 3\n')), [
      'tasks.m.respawn is a watcher option, not a task option: a task runs once, to completion (a task is not restarted; use retries for a failed run); use a watcher for a long-running command (circus.ini:3:1)',
      'tasks.m.max_retry is a watcher option, not a task option: a task runs once, to completion (use retries); use a watcher for a long-running command (circus.ini:4:1)',
    ]);
    for (const key of Object.keys(WATCHER_ONLY_HINTS)) {
      const [issue] = issuesOf(() => ini(`[task:m]\ncmd = x\n${key} = 1\n`));
      assert.equal(issue?.code, 'RM_CONFIG_UNKNOWN_KEY', key);
      assert.match(issue?.message ?? '', new RegExp(`^tasks\\.m\\.${key} is a watcher option, not a task option`), key);
    }
    // a plain typo gets a "did you mean"
    assert.deepEqual(messagesOf(() => yaml('tasks:\n  m: {cmd: x, retires: 2}\n')), [
      'tasks.m.retires is not a known task option; did you mean "retries"? (ringmaster.yaml:2:15)',
    ]);
  });

  it('has a hint for each watcher option that is not a task option', () => {
    for (const [key, spec] of Object.entries(WATCHER_OPTIONS)) {
      if (spec.ignored !== undefined || Object.hasOwn(TASK_OPTIONS, key)) continue;
      assert.ok(Object.hasOwn(WATCHER_ONLY_HINTS, key), `${key}: a watcher option with no hint for tasks`);
    }
    for (const key of Object.keys(WATCHER_ONLY_HINTS)) assert.ok(!Object.hasOwn(TASK_OPTIONS, key), key);
  });

  it('names the bad value of each task option', () => {
    assert.deepEqual(messagesOf(() => yaml('tasks:\n  m: {cmd: x, when: later, timeout: -1, retries: 1.5, graceful_timeout: forever}\n')), [
      'tasks.m.when must be one of start, stop, got "later" (ringmaster.yaml:2:21)',
      'tasks.m.timeout must be a number between 0 and 2147483 seconds (24.8 days, the longest timer Node.js can set), got -1 (ringmaster.yaml:2:37)',
      'tasks.m.retries must be an integer between 0 and 2147483647, got 1.5 (ringmaster.yaml:2:50)',
      'tasks.m.graceful_timeout must be a number between 0 and 2147483 seconds (24.8 days, the longest timer Node.js can set), got "forever" (ringmaster.yaml:2:73)',
    ]);
    assert.deepEqual(messagesOf(() => ini('[task:m]\ncmd = x\nretries = many\nbackoff_initial = 20\n')), [
      'tasks.m.retries must be an integer between 0 and 2147483647, got "many" (circus.ini:3:11)',
      'tasks.m.backoff_initial must be <= backoff_max (15), got 20 (circus.ini:4:19)',
    ]);
    assert.deepEqual(messagesOf(() => yaml('tasks:\n  m: {args: [x]}\n')), [
      'tasks.m has no cmd; add the command to run, e.g. cmd: node server.js (ringmaster.yaml:2:3)',
    ]);
    assert.deepEqual(messagesOf(() => yaml('tasks:\n  m: {cmd: ""}\n  n: {cmd: "a\\u0000b"}\n  o: {cmd: x, env: {K: "a\\u0000"}}\n  p: {cmd: x, rlimit_nofiles: 3}\n')), [
      'tasks.m.cmd must name a program to run, got "" (ringmaster.yaml:2:12)',
      'tasks.n.cmd contains a NUL byte (\\0), which no command line can carry; remove it (ringmaster.yaml:3:12)',
      'tasks.o.env K contains a NUL byte (\\0), which no environment can carry; remove it (ringmaster.yaml:4:20)',
      'tasks.p.rlimit_nofiles is not a known resource limit; did you mean "rlimit_nofile"? (ringmaster.yaml:5:15)',
    ]);
    assert.deepEqual(messagesOf(() => yaml('tasks: [a, b]\n')), ['tasks must be a map of task names to their options, got ["a","b"] (ringmaster.yaml:1:8)']);
  });

  it('checks schedule and timezone: a known zone, only with a schedule; no when: stop, no retries on a scheduled task', () => {
    const bad = issuesOf(() => yaml('tasks:\n  r: {cmd: x, schedule: "* * *"}\n'));
    assert.deepEqual(bad.map((i) => [i.code, i.path, i.pos?.line]), [['RM_CONFIG_VALUE', 'tasks.r.schedule', 2]]);
    assert.match(bad[0]?.message ?? '', /^tasks\.r\.schedule /);
    assert.deepEqual(messagesOf(() => yaml('tasks:\n  r: {cmd: x, schedule: "* * * * *", timezone: Europe/Pari}\n')), [
      'tasks.r.timezone must be an IANA time zone, got "Europe/Pari"; did you mean "Europe/Paris"? (ringmaster.yaml:2:48)',
    ]);
    assert.deepEqual(messagesOf(() => ini('[task:r]\ncmd = x\nschedule = * * * * *\ntimezone = Mars/Olympus_Mons\n')), [
      'tasks.r.timezone must be an IANA time zone, got "Mars/Olympus_Mons"; write an IANA time zone such as UTC or Europe/Paris (circus.ini:4:12)',
    ]);
    assert.deepEqual(messagesOf(() => yaml('tasks:\n  r: {cmd: x, timezone: UTC}\n')), [
      'tasks.r.timezone is the time zone of schedule, and this task has none; add a schedule or remove timezone (ringmaster.yaml:2:25)',
    ]);
    assert.deepEqual(messagesOf(() => ini('[task:r]\ncmd = x\nschedule = 0 3 * * *\nwhen = stop\nretries = 2\n')), [
      'tasks.r.when cannot be stop for a scheduled task: a scheduled task runs on its schedule while ringmaster runs, a stop task once at shutdown; remove when or schedule (or make two tasks) (circus.ini:4:8)',
      'tasks.r.retries cannot be set on a scheduled task (got 2): its next scheduled run is the retry; remove retries (circus.ini:5:11)',
    ]);
    // retries: 0 and when: start say what a scheduled task does anyway
    assert.equal(yaml('tasks:\n  r: {cmd: x, schedule: "* * * * *", retries: 0, when: start}\n').tasks.length, 1);
    assert.deepEqual(messagesOf(() => yaml('tasks:\n  r: {cmd: x, schedule: 5}\n')), ['tasks.r.schedule must be a string, got 5 (ringmaster.yaml:2:25)']);
  });

  it('bounds schedule and timezone, and survives hostile ones', () => {
    const long = '* '.repeat(5000);
    assert.deepEqual(messagesOf(() => yaml(`tasks:\n  r: {cmd: x, schedule: "${long}"}\n`)), [
      'tasks.r.schedule must be at most 256 characters, got 10000; a cron expression or a time zone is a few dozen (ringmaster.yaml:2:25)',
    ]);
    const zone = 'A/'.repeat(1000);
    assert.match(messagesOf(() => yaml(`tasks:\n  r: {cmd: x, schedule: "* * * * *", timezone: "${zone}"}\n`))[0] ?? '', /^tasks\.r\.timezone must be at most 256 characters, got 2000/);
    for (const tz of ['', ' UTC', 'UTC\\u0000', '../../etc/passwd']) {
      const [i] = issuesOf(() => yaml(`tasks:\n  r: {cmd: x, schedule: "* * * * *", timezone: "${tz}"}\n`));
      assert.equal(i?.path, 'tasks.r.timezone', JSON.stringify(tz));
    }
  });

  it('refuses a task and a watcher, or two tasks, of one name (names are case-insensitive)', () => {
    assert.deepEqual(messagesOf(() => yaml('watchers:\n  web: {cmd: x}\ntasks:\n  Web: {cmd: y}\n')), [
      'tasks.Web: watcher "web" has this name (names are case-insensitive, and depends_on names either); rename one (ringmaster.yaml:4:3)',
    ]);
    assert.deepEqual(messagesOf(() => ini('[watcher:web]\ncmd = x\n[task:WEB]\ncmd = y\n[task:m]\ncmd = x\n[task:M]\ncmd = y\n')), [
      'tasks.WEB: watcher "web" has this name (names are case-insensitive, and depends_on names either); rename one (circus.ini:3:1)',
      'tasks.M: task names are case-insensitive and "m" is already defined; rename one (circus.ini:7:1)',
    ]);
  });

  it('says the same of the same mistakes in YAML and INI', () => {
    const unplaced = (ms: string[]): string[] => ms.map((m) => m.replace(/ \((ringmaster\.yaml|circus\.ini):\d+:\d+\)$/, '')).sort();
    const pairs: Array<[string, string]> = [
      ['tasks:\n  r: {cmd: x, timezone: UTC}\n', '[task:r]\ncmd = x\ntimezone = UTC\n'],
      ['tasks:\n  r: {cmd: x, schedule: "* * * * *", when: stop, retries: 1}\n', '[task:r]\ncmd = x\nschedule = * * * * *\nwhen = stop\nretries = 1\n'],
      ['tasks:\n  r: {cmd: x, schedule: "* * * * *", timezone: Nowhere}\n', '[task:r]\ncmd = x\nschedule = * * * * *\ntimezone = Nowhere\n'],
      ['tasks:\n  r: {cmd: x, when: sometime, timeout: -1}\n', '[task:r]\ncmd = x\nwhen = sometime\ntimeout = -1\n'],
      ['tasks:\n  r: {cmd: x, singleton: true}\n', '[task:r]\ncmd = x\nsingleton = true\n'],
      ['watchers:\n  a: {cmd: x, depends_on: [a]}\n', '[watcher:a]\ncmd = x\ndepends_on = a\n'],
      ['watchers:\n  a: {cmd: x, depends_on: [b, c]}\ntasks:\n  b: {cmd: x, depends_on: [a]}\n', '[watcher:a]\ncmd = x\ndepends_on = b c\n[task:b]\ncmd = x\ndepends_on = a\n'],
      ['watchers:\n  a: {cmd: x, depends_on: [b]}\ntasks:\n  b: {cmd: x, when: stop}\n', '[watcher:a]\ncmd = x\ndepends_on = b\n[task:b]\ncmd = x\nwhen = stop\n'],
    ];
    for (const [y, i] of pairs) {
      const fromYaml = unplaced(messagesOf(() => yaml(y)));
      assert.ok(fromYaml.length > 0, y);
      assert.deepEqual(unplaced(messagesOf(() => ini(i))), fromYaml, i);
    }
  });

  it('merges a task defined in two fragments of a config directory, key by key', () => {
    withTempDir((dir) => {
      writeFileSync(join(dir, 'a.yaml'), 'tasks:\n  m: {cmd: x}\n');
      writeFileSync(join(dir, 'b.yaml'), 'tasks:\n  m: {timeout: 5}\nwatchers:\n  w: {cmd: y, depends_on: [M]}\n');
      const c = loadConfig({ path: dir, env: {}, cwd: '/' });
      assert.deepEqual(c?.tasks.map((t) => [t.name, t.cmd, t.timeout]), [['m', 'x', 5]]);
      assert.deepEqual(c?.watchers[0]?.depends_on, ['m']);
    });
  });

  it('refuses more than MAX_TASKS tasks unread, and takes MAX_TASKS', () => {
    const text = (n: number): string => `tasks:\n${times(n, (i) => `  t${i}: {cmd: x}\n`)}`;
    assert.equal(yaml(text(MAX_TASKS)).tasks.length, MAX_TASKS);
    const refused = (parse: () => unknown): string[] => {
      try {
        parse();
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.code, 'RM_CONFIG_LIMIT');
        return e.issues.map((i) => i.message);
      }
      assert.fail('expected a limit');
    };
    assert.deepEqual(refused(() => yaml(text(MAX_TASKS + 1))), [
      `ringmaster.yaml: ${MAX_TASKS + 1} tasks, over the limit of ${MAX_TASKS} (RM_CONFIG_LIMIT); run fewer tasks per init (one task can run a script of many steps) (ringmaster.yaml:${MAX_TASKS + 2}:3)`,
    ]);
    const sections = times(MAX_TASKS + 1, (i) => `[task:t${i}]\ncmd = x\n`);
    assert.match(refused(() => ini(sections))[0] ?? '', /^circus\.ini: 501 tasks, over the limit of 500 \(RM_CONFIG_LIMIT\)/);
  });

  it('takes names that mean something to JavaScript as plain names, and refuses __proto__', () => {
    assert.deepEqual(yaml('tasks:\n  constructor: {cmd: x}\n  toString: {cmd: y, depends_on: [constructor]}\n').tasks.map((t) => [t.name, t.depends_on]), [
      ['constructor', []],
      ['toString', ['constructor']],
    ]);
    assert.equal(issuesOf(() => ini('[task:__proto__]\ncmd = x\n'))[0]?.code, 'RM_CONFIG_VALUE');
    assert.equal(issuesOf(() => yaml('tasks:\n  __proto__: {cmd: x}\n'))[0]?.code, 'RM_CONFIG_VALUE');
  });
});
