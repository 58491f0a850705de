import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GLOBAL_OPTIONS, MAX_SECONDS, RLIMIT_SPEC, SOCKET_OPTIONS, TASK_OPTIONS, WATCHER_OPTIONS } from '../../src/config/options.js';
import { ini, messagesOf, yaml } from './helpers.js';

const w = (lines: string): string => `watchers:\n  web:\n    cmd: node app.js\n${lines}`;
const SECONDS = 'between 0 and 2147483 seconds (24.8 days, the longest timer Node.js can set)';

describe('config value bounds', () => {
  // each: a config that passed `check` before, and the exact message (key, value, range, file:line:col)
  const table: Array<{ name: string; parse: () => unknown; message: string }> = [
    {
      name: 'max_age beyond the longest Node.js timer',
      parse: () => yaml(w('    max_age: 2200000\n')),
      message: `watchers.web.max_age must be a number ${SECONDS}, got 2200000 (ringmaster.yaml:4:14)`,
    },
    {
      name: 'a 1e308 graceful_timeout',
      parse: () => yaml(w('    graceful_timeout: 1e308\n')),
      message: `watchers.web.graceful_timeout must be a number ${SECONDS}, got 1e308 (ringmaster.yaml:4:23)`,
    },
    {
      name: 'YAML infinity is named, not "null"',
      parse: () => yaml('ringmaster:\n  graceful_timeout: .inf\nwatchers:\n  web: {cmd: node app.js}\n'),
      message: `ringmaster.graceful_timeout must be a number ${SECONDS}, got .inf (infinity) (ringmaster.yaml:2:21)`,
    },
    {
      name: 'YAML NaN is named, not "null"',
      parse: () => yaml(w('    backoff_max: .nan\n')),
      message: `watchers.web.backoff_max must be a number ${SECONDS}, got .nan (not a number) (ringmaster.yaml:4:18)`,
    },
    {
      name: 'infinity inside a readiness check',
      parse: () => yaml(w('    ready: {delay: .inf}\n')),
      message:
        'watchers.web.ready must be none, notify, {notify: true, timeout: S}, {http: URL, timeout: S} or {delay: S} (S: seconds, at most 2147483), got {"delay":.inf} (ringmaster.yaml:4:12)',
    },
    {
      name: 'a readiness timeout in INI beyond the timer range',
      parse: () => ini('[watcher:web]\ncmd = node app.js\nready = notify timeout=3000000\n'),
      message:
        'watchers.web.ready must be none, notify, {notify: true, timeout: S}, {http: URL, timeout: S} or {delay: S} (S: seconds, at most 2147483), got {"notify":true,"timeout":3000000} (circus.ini:3:9)',
    },
    {
      name: 'max_age within range, but not with its variance',
      parse: () => yaml(w('    max_age: 2147480\n')),
      message:
        'watchers.web.max_age plus max_age_variance (30) must be at most 2147483 seconds (24.8 days, the longest timer Node.js can set), got 2147480; lower one of them (ringmaster.yaml:4:14)',
    },
    {
      name: 'INI duration',
      parse: () => ini('[circus]\ndrain_delay = 1e9\n[watcher:web]\ncmd = node app.js\n'),
      message: `ringmaster.drain_delay must be a number ${SECONDS}, got 1000000000 (circus.ini:2:15)`,
    },
    {
      name: 'a uid that does not fit uid_t',
      parse: () => yaml(w('    uid: 99999999999\n')),
      message: 'watchers.web.uid must be a name or a number from 0 to 4294967294, got 99999999999 (ringmaster.yaml:4:10)',
    },
    {
      name: 'gid -1 ("unchanged" to setgid)',
      parse: () => ini('[watcher:web]\ncmd = node app.js\ngid = 4294967295\n'),
      message: 'watchers.web.gid must be a name or a number from 0 to 4294967294, got "4294967295" (circus.ini:3:7)',
    },
    {
      name: 'a negative global user',
      parse: () => yaml('ringmaster:\n  user: -5\nwatchers:\n  web: {cmd: node app.js}\n'),
      message: 'ringmaster.user must be a name or a number from 0 to 4294967294, got -5 (ringmaster.yaml:2:9)',
    },
    {
      name: 'an rlimit beyond what a number holds exactly (YAML: as written)',
      parse: () => yaml(w('    rlimit_nofile: 99999999999999999999999\n')),
      message:
        'watchers.web.rlimit_nofile must be an integer between 0 and 9007199254740991, or empty/"infinity"/"unlimited" for no limit, got 99999999999999999999999 (ringmaster.yaml:4:20)',
    },
    {
      name: 'an rlimit beyond what a number holds exactly (INI)',
      parse: () => ini('[watcher:web]\ncmd = node app.js\nrlimit_nofile = 99999999999999999999999\n'),
      message:
        'watchers.web.rlimit_nofile must be an integer between 0 and 9007199254740991, or empty/"infinity"/"unlimited" for no limit, got "99999999999999999999999" (circus.ini:3:17)',
    },
    {
      name: 'a NUL byte in a socket path',
      parse: () => yaml('sockets:\n  s:\n    path: "/run/a\\0b.sock"\nwatchers:\n  web: {cmd: node app.js}\n'),
      message:
        'sockets.s.path must be a string without a NUL byte (\\0), which no path, address or name can carry, got "/run/a\\u0000b.sock" (ringmaster.yaml:3:11)',
    },
    {
      name: 'a NUL byte in a socket host',
      parse: () => yaml('sockets:\n  s:\n    host: "127.0.0.1\\0evil"\nwatchers:\n  web: {cmd: node app.js}\n'),
      message:
        'sockets.s.host must be a string without a NUL byte (\\0), which no path, address or name can carry, got "127.0.0.1\\u0000evil" (ringmaster.yaml:3:11)',
    },
    {
      name: 'a NUL byte in a user name',
      parse: () => yaml(w('    uid: "app\\0root"\n')),
      message:
        'watchers.web.uid must be a name without a NUL byte (\\0), which no path, address or name can carry, got "app\\u0000root" (ringmaster.yaml:4:10)',
    },
    {
      name: 'a unix socket path longer than sun_path',
      parse: () => yaml(`sockets:\n  s:\n    path: /run/${'x'.repeat(110)}.sock\nwatchers:\n  web: {cmd: node app.js}\n`),
      message: 'sockets.s.path is 120 bytes long, longer than a unix socket address holds (107); use a shorter path (ringmaster.yaml:3:11)',
    },
    {
      name: 'an interface name longer than IFNAMSIZ',
      parse: () => yaml('sockets:\n  s:\n    interface: eth0-but-much-too-long\nwatchers:\n  web: {cmd: node app.js}\n'),
      message:
        'sockets.s.interface is 22 bytes long, longer than an interface name can be (15, IFNAMSIZ - 1); use the name that ip link shows (ringmaster.yaml:3:16)',
    },
    {
      name: 'numprocesses beyond what ringmaster ctl scale takes',
      parse: () => yaml(w('    numprocesses: 20000\n')),
      message: 'watchers.web.numprocesses must be an integer between 0 and 10000, got 20000 (ringmaster.yaml:4:19)',
    },
    {
      name: 'a priority of 1e300 (an integer to JSON Schema)',
      parse: () => yaml(w('    priority: 1e300\n')),
      message: 'watchers.web.priority must be an integer between -2147483648 and 2147483647, got 1e300 (ringmaster.yaml:4:15)',
    },
    {
      name: 'an INI integer beyond 2^53',
      parse: () => ini('[watcher:web]\ncmd = node app.js\nmax_retry = 123456789012345678901\n'),
      message: 'watchers.web.max_retry must be an integer between -1 and 2147483647 (-1 = retry forever), got "123456789012345678901" (circus.ini:3:13)',
    },
    {
      name: 'a backlog that listen() cannot take',
      parse: () => yaml('sockets:\n  s:\n    port: 0\n    backlog: 1e12\nwatchers:\n  web: {cmd: node app.js}\n'),
      message: 'sockets.s.backlog must be an integer between 0 and 2147483647, got 1e12 (ringmaster.yaml:4:14)',
    },
    {
      name: 'max_surge',
      parse: () => yaml(w('    max_surge: 100000\n')),
      message: 'watchers.web.max_surge must be an integer between 1 and 10000, got 100000 (ringmaster.yaml:4:16)',
    },
    {
      name: 'backoff_multiplier',
      parse: () => yaml(w('    backoff_multiplier: 1e6\n')),
      message: 'watchers.web.backoff_multiplier must be a number between 1 and 1000, got 1e6 (ringmaster.yaml:4:25)',
    },
  ];
  for (const t of table) {
    it(t.name, () => assert.deepEqual(messagesOf(t.parse), [t.message]));
  }

  it('takes the largest values in range', () => {
    const c = yaml(
      w(
        '    max_age: 2147453\n    graceful_timeout: 2147483\n    uid: 4294967294\n    rlimit_nofile: 9007199254740991\n    priority: -2147483648\n    numprocesses: 10000\n',
      ),
    );
    const web = c.watchers[0];
    assert.equal(web?.max_age, 2147453);
    assert.equal(web?.uid, '4294967294');
    assert.equal(web?.rlimits['nofile'], 9007199254740991);
  });

  it('bounds every numeric option, and no duration beyond the timer range', () => {
    const tables = { ringmaster: GLOBAL_OPTIONS, sockets: SOCKET_OPTIONS, watchers: { ...WATCHER_OPTIONS, rlimit_: RLIMIT_SPEC }, tasks: TASK_OPTIONS };
    for (const [scope, options] of Object.entries(tables)) {
      for (const [key, spec] of Object.entries(options)) {
        if (!['int', 'number', 'octal', 'rlimit'].includes(spec.type)) continue;
        assert.ok(spec.minimum !== undefined && spec.maximum !== undefined, `${scope}.${key} has no range`);
        if (spec.unit?.startsWith('seconds')) assert.ok((spec.maximum as number) <= MAX_SECONDS, `${scope}.${key}`);
      }
    }
    // the longest Node.js timer: 2^31-1 ms; beyond that Node fires after 1 ms
    assert.ok(MAX_SECONDS * 1000 <= 2 ** 31 - 1 && (MAX_SECONDS + 1) * 1000 > 2 ** 31 - 1);
  });
});
