import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ini, issuesOf, messagesOf, yaml } from './helpers.js';

describe('config errors', () => {
  // each: a config, and the exact message (key path, value, fix, file:line:col)
  const table: Array<{ name: string; parse: () => unknown; message: string }> = [
    {
      name: 'YAML integer given as a word',
      parse: () => yaml('watchers:\n  web:\n    cmd: node app.js\n    numprocesses: two\n'),
      message: 'watchers.web.numprocesses must be an integer between 0 and 10000, got "two" (ringmaster.yaml:4:19)',
    },
    {
      name: 'INI integer coercion',
      parse: () => ini('[watcher:web]\ncmd = node app.js\nnumprocesses = two\n'),
      message: 'watchers.web.numprocesses must be an integer between 0 and 10000, got "two" (circus.ini:3:16)',
    },
    {
      name: 'negative integer',
      parse: () => yaml('watchers:\n  web:\n    cmd: node app.js\n    numprocesses: -1\n'),
      message: 'watchers.web.numprocesses must be an integer between 0 and 10000, got -1 (ringmaster.yaml:4:19)',
    },
    {
      name: 'INI boolean',
      parse: () => ini('[watcher:web]\ncmd = node app.js\nsingleton = maybe\n'),
      message: 'watchers.web.singleton must be a boolean (true/false, yes/no, on/off, 1/0), got "maybe" (circus.ini:3:13)',
    },
    {
      name: 'unknown signal',
      parse: () => yaml('watchers:\n  web:\n    cmd: node app.js\n    stop_signal: SIGFOO\n'),
      message:
        'watchers.web.stop_signal must be a signal name such as SIGTERM (or TERM, or a number), got "SIGFOO" (ringmaster.yaml:4:18)',
    },
    {
      name: 'port out of range',
      parse: () => yaml('sockets:\n  web:\n    port: 70000\n'),
      message: 'sockets.web.port must be an integer between 0 and 65535, got 70000 (ringmaster.yaml:3:11)',
    },
    {
      name: 'enum',
      parse: () => yaml('watchers:\n  web:\n    cmd: node app.js\n    output: pretty\n'),
      message: 'watchers.web.output must be one of inherit, prefix, json, got "pretty" (ringmaster.yaml:4:13)',
    },
    {
      name: 'readiness check',
      parse: () => yaml('watchers:\n  web:\n    cmd: node app.js\n    ready: {http: ftp://x}\n'),
      message:
        'watchers.web.ready must be none, notify, {notify: true, timeout: S}, {http: URL, timeout: S} or {delay: S} (S: seconds, at most 2147483), got {"http":"ftp://x"} (ringmaster.yaml:4:12)',
    },
    {
      name: 'octal umask with an 8',
      parse: () => ini('[socket:s]\npath = /run/s.sock\numask = 018\n'),
      message: 'sockets.s.umask must be an octal number such as "022" up to 777, got "018" (circus.ini:3:9)',
    },
    {
      name: 'missing cmd',
      parse: () => yaml('watchers:\n  web:\n    numprocesses: 2\n'),
      message: 'watchers.web has no cmd; add the command to run, e.g. cmd: node server.js (ringmaster.yaml:2:3)',
    },
    {
      name: 'unclosed quote in cmd',
      parse: () => yaml(`watchers:\n  web:\n    cmd: node "app.js\n`),
      message: 'watchers.web.cmd has no closing quotation: "node \\"app.js"; close the quote or escape it with \\ (ringmaster.yaml:3:10)',
    },
    {
      name: 'watchers is a list',
      parse: () => yaml('watchers:\n  - cmd: node app.js\n'),
      message: 'watchers must be a map of watcher names to their options, got [{"cmd":"node app.js"}] (ringmaster.yaml:2:3)',
    },
    {
      name: 'singleton with 3 processes',
      parse: () => ini('[watcher:cron]\ncmd = node cron.js\nsingleton = true\nnumprocesses = 3\n'),
      message: 'watchers.cron.numprocesses must be 0 or 1 for a singleton watcher, got 3; lower it or remove singleton (circus.ini:4:16)',
    },
    {
      name: 'watcher naming a socket that does not exist',
      parse: () => yaml('sockets:\n  web: {port: 0}\nwatchers:\n  w:\n    cmd: node app.js --fd $(circus.sockets.wbe)\n'),
      message: 'watchers.w.cmd names socket "wbe", which is not defined; did you mean "web"? (ringmaster.yaml:5:10)',
    },
    {
      name: 'explicit sockets list naming an unknown socket',
      parse: () => yaml('watchers:\n  w:\n    cmd: node app.js\n    sockets: [api]\n'),
      message: 'watchers.w.sockets names socket "api", which is not defined; define it under sockets (or as [socket:api]) (ringmaster.yaml:4:14)',
    },
    {
      name: 'a NUL byte in an env value',
      parse: () => yaml('watchers:\n  w:\n    cmd: sleep 60\n    env:\n      FOO: "a\\0b"\n'),
      message: 'watchers.w.env FOO contains a NUL byte (\\0), which no environment can carry; remove it (ringmaster.yaml:5:7)',
    },
    {
      name: 'a NUL byte in cmd',
      parse: () => yaml('watchers:\n  w:\n    cmd: "sleep \\0 60"\n'),
      message: 'watchers.w.cmd contains a NUL byte (\\0), which no command line can carry; remove it (ringmaster.yaml:3:10)',
    },
    {
      name: 'a NUL byte in args given as a list',
      parse: () => yaml('watchers:\n  w:\n    cmd: sleep\n    args: ["60", "a\\0b"]\n'),
      message: 'watchers.w.args contains a NUL byte (\\0), which no command line can carry; remove it (ringmaster.yaml:4:11)',
    },
    {
      name: 'scale_watcher naming a watcher that does not exist',
      parse: () => ini('[circus]\nscale_watcher = wbe\n\n[watcher:web]\ncmd = node app.js\n'),
      message: 'ringmaster.scale_watcher names watcher "wbe", which is not defined; did you mean "web"? (circus.ini:2:17)',
    },
    {
      name: 'so_reuseport on a unix socket',
      parse: () => yaml('sockets:\n  s:\n    path: /run/s.sock\n    so_reuseport: true\n'),
      message: 'sockets.s.so_reuseport applies to TCP/UDP sockets only; remove it or use host/port (ringmaster.yaml:4:5)',
    },
    {
      name: 'mode on a TCP socket',
      parse: () => ini('[socket:s]\nport = 80\nmode = 660\n'),
      message: 'sockets.s.mode applies to unix sockets only; remove it or set path (circus.ini:3:1)',
    },
    {
      name: 'AF_UNIX without a path',
      parse: () => yaml('sockets:\n  s:\n    family: AF_UNIX\n'),
      message: 'sockets.s is AF_UNIX but has no path; add path: /run/s.sock (or @s for an abstract socket) (ringmaster.yaml:3:5)',
    },
    {
      name: 'unset ${VAR}',
      parse: () => yaml('sockets:\n  s:\n    port: ${PORT}\n', {}),
      message: 'environment variable PORT is not set; set it, or write ${PORT:-default} (ringmaster.yaml:3:11)',
    },
    {
      name: 'unknown INI section',
      parse: () => ini('[watchers:web]\ncmd = node app.js\n'),
      message:
        '[watchers:web] is not a known section ([ringmaster], [circus], [socket:NAME], [watcher:NAME], [task:NAME], [env], [env:PATTERNS]); did you mean [watcher:web]? (circus.ini:1:1)',
    },
    {
      name: 'INI line that is not KEY = VALUE',
      parse: () => ini('[watcher:web]\ncmd = node app.js\nthis is not an option\n'),
      message: 'cannot read "this is not an option"; write KEY = VALUE, [SECTION], or a comment starting with # (circus.ini:3:1)',
    },
    {
      name: 'YAML syntax',
      parse: () => yaml('watchers:\n  web:\n    cmd: [node\n'),
      message: 'YAML: Flow sequence in block collection must be sufficiently indented and end with a ] (ringmaster.yaml:4:1)',
    },
  ];
  for (const t of table) {
    it(t.name, () => {
      assert.deepEqual(messagesOf(t.parse), [t.message]);
    });
  }

  it('reports every problem at once, in file order, each with its position and value', () => {
    const issues = issuesOf(() =>
      yaml(
        [
          'ringmaster:',
          '  graceful_timeout: soon',
          'sockets:',
          '  web: {port: -1}',
          'watchers:',
          '  web:',
          '    cmd: node app.js',
          '    numprocesses: 1.5',
          '    respawn: sometimes',
          '    colour: blue',
          'extra: 1',
        ].join('\n'),
      ),
    );
    assert.deepEqual(
      issues.map((i) => [i.path, i.pos?.line, i.pos?.column, i.value]),
      [
        ['ringmaster.graceful_timeout', 2, 21, 'soon'],
        ['sockets.web.port', 4, 15, -1],
        ['watchers.web.numprocesses', 8, 19, 1.5],
        ['watchers.web.respawn', 9, 14, 'sometimes'],
        ['watchers.web.colour', 10, 5, 'colour'],
        ['extra', 11, 1, 'extra'],
      ],
    );
    const err = (() => {
      try {
        yaml('watchers:\n  w: {cmd: x, numprocesses: a, priority: b}\n');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    assert.match(err?.message ?? '', /^2 problems in the configuration:\n {2}- watchers\.w\.numprocesses .*\n {2}- watchers\.w\.priority /);
  });

  it('suggests the closest known key', () => {
    assert.deepEqual(messagesOf(() => ini('[watcher:web]\ncmd = node app.js\nnumprocess = 3\ngraceful_timout = 3\n')), [
      'watchers.web.numprocess is not a known watcher option; did you mean "numprocesses"? (circus.ini:3:1)',
      'watchers.web.graceful_timout is not a known watcher option; did you mean "graceful_timeout"? (circus.ini:4:1)',
    ]);
    assert.deepEqual(messagesOf(() => yaml('ringmaster:\n  http_prot: 9090\n')), [
      'ringmaster.http_prot is not a known global option; did you mean "http_port"? (ringmaster.yaml:2:3)',
    ]);
    assert.deepEqual(messagesOf(() => yaml('watcher:\n  web: {cmd: x}\n')), [
      '"watcher" is not a known top-level key (ringmaster, sockets, watchers, tasks, env); did you mean "watchers"? (ringmaster.yaml:1:1)',
    ]);
    // keys are case-sensitive, as in Circus, but the suggestion finds them
    assert.deepEqual(messagesOf(() => ini('[watcher:web]\ncmd = x\nNumProcesses = 3\n')), [
      'watchers.web.NumProcesses is not a known watcher option; did you mean "numprocesses"? (circus.ini:3:1)',
    ]);
    // nothing close: point at the schema
    assert.deepEqual(messagesOf(() => yaml('watchers:\n  web: {cmd: x, zzzzzzzzz: 1}\n')), [
      'watchers.web.zzzzzzzzz is not a known watcher option; see `ringmaster schema` for the options (ringmaster.yaml:2:17)',
    ]);
    assert.deepEqual(messagesOf(() => yaml('watchers:\n  web: {cmd: x, rlimit_nofiles: 1}\n')), [
      'watchers.web.rlimit_nofiles is not a known resource limit; did you mean "rlimit_nofile"? (ringmaster.yaml:2:17)',
    ]);
  });

  it('reports every problem at once, including those only the cross-section checks see', () => {
    assert.deepEqual(messagesOf(() => ini('[socket:web]\nport = 0\n\n[watcher:w]\ncmd = sleep 60\nnumprocesses = -1\nstop_signal = 99\nsockets = webb\n')), [
      'watchers.w.numprocesses must be an integer between 0 and 10000, got -1 (circus.ini:6:16)',
      'watchers.w.stop_signal must be a signal name such as SIGTERM (or TERM, or a number), got "99" (circus.ini:7:15)',
      'watchers.w.sockets names socket "webb", which is not defined; did you mean "web"? (circus.ini:8:11)',
    ]);
  });

  it('keeps the issue fields machine-readable', () => {
    const [i] = issuesOf(() => yaml('watchers:\n  web:\n    cmd: node app.js\n    numprocesses: two\n'));
    assert.deepEqual(i, {
      code: 'RM_CONFIG_VALUE',
      path: 'watchers.web.numprocesses',
      message: 'watchers.web.numprocesses must be an integer between 0 and 10000, got "two" (ringmaster.yaml:4:19)',
      pos: { file: 'ringmaster.yaml', line: 4, column: 19 },
      value: 'two',
    });
  });

  it('gives each kind of problem its code, the same from YAML and INI', () => {
    const codeOf = (parse: () => unknown): string[] => issuesOf(parse).map((x) => x.code);
    const web = 'watchers:\n  web:\n    cmd: node app.js\n';
    const cases: Array<[string, () => unknown, string]> = [
      ['syntax', () => yaml('watchers: [\n'), 'RM_CONFIG_SYNTAX'],
      ['INI syntax', () => ini('[watcher:web]\ncmd = node app.js\nthis is not a line\n'), 'RM_CONFIG_SYNTAX'],
      ['unknown key', () => yaml(`${web}    numprocess: 2\n`), 'RM_CONFIG_UNKNOWN_KEY'],
      ['unknown section', () => ini('[watcher:web]\ncmd = node app.js\n[wacher:x]\ncmd = y\n'), 'RM_CONFIG_UNKNOWN_KEY'],
      ['value', () => yaml(`${web}    numprocesses: two\n`), 'RM_CONFIG_VALUE'],
      ['INI value', () => ini('[watcher:web]\ncmd = node app.js\nnumprocesses = two\n'), 'RM_CONFIG_VALUE'],
      ['missing', () => yaml('watchers:\n  web:\n    numprocesses: 2\n'), 'RM_CONFIG_MISSING'],
      ['reference', () => yaml(`${web}    sockets: [nope]\n`), 'RM_CONFIG_REFERENCE'],
      ['unset variable', () => yaml(`${web}    args: \${NOPE:?needed}\n`), 'RM_CONFIG_REFERENCE'],
      ['conflict', () => yaml(`${web}    singleton: true\n    numprocesses: 2\n`), 'RM_CONFIG_CONFLICT'],
    ];
    for (const [name, parse, code] of cases) assert.deepEqual(codeOf(parse), [code], name);
  });
});
