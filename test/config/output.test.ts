import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/index.js';
import { compileAtRuntime, prebuiltValidator, schemaIssues } from '../../src/config/validate.js';
import { yamlSource } from '../../src/config/parser-yaml.js';
import { ini, messagesOf, yaml } from './helpers.js';

const INDEX = fileURLToPath(new URL('../../src/config/index.js', import.meta.url));

describe('config output, schema and footprint', () => {
  it('fills in the documented defaults', () => {
    const c = yaml('watchers:\n  w: {cmd: node app.js}\n');
    assert.deepEqual(c.ringmaster, {
      env_file: [],
      user: undefined,
      group: undefined,
      graceful_timeout: 25,
      warmup_delay: 0,
      drain_delay: 0,
      umask: undefined,
      http_host: '0.0.0.0',
      http_port: undefined,
      control_socket: undefined,
      loglevel: 'info',
      log_format: undefined,
      subreaper: true,
      scale_watcher: undefined,
    });
    const w = c.watchers[0];
    assert.ok(w);
    assert.deepEqual(
      [w.numprocesses, w.graceful_timeout, w.max_retry, w.backoff_initial, w.backoff_multiplier, w.backoff_max, w.backoff_jitter, w.backoff_reset],
      [1, 30, 5, 0.1, 2, 15, 0.2, 10],
    );
    assert.deepEqual([w.output, w.exit_on, w.ready, w.watchdog_sec, w.copy_env, w.close_child_stdin], ['inherit', 'never', { kind: 'none' }, 0, true, true]);
    assert.ok(!w.forward_signals.includes('SIGHUP') && !w.forward_signals.includes('SIGTTIN') && !w.forward_signals.includes('SIGTTOU'));
    assert.ok(w.forward_signals.includes('SIGUSR1') && w.forward_signals.includes('SIGWINCH'));
  });

  it('is deeply frozen', () => {
    const c = yaml('sockets:\n  s: {port: 0}\nwatchers:\n  w: {cmd: node app.js, env: {A: b}}\n');
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.watchers) && Object.isFrozen(c.watchers[0]?.argv) && Object.isFrozen(c.watchers[0]?.env));
    assert.throws(() => {
      (c.watchers[0] as { numprocesses: number }).numprocesses = 3;
    }, TypeError);
  });

  it('orders watchers by priority, then name, and sockets by name', () => {
    const c = ini('[watcher:b]\ncmd = x\n[watcher:a]\ncmd = x\n[watcher:z]\ncmd = x\npriority = 10\n[socket:y]\nport=0\n[socket:x]\nport=0\n');
    assert.deepEqual(c.watchers.map((w) => w.name), ['z', 'a', 'b']);
    assert.deepEqual(c.sockets.map((s) => s.name), ['x', 'y']);
  });

  it('reads readiness checks in both formats', () => {
    const cases: Array<[string, string, unknown]> = [
      ['notify', 'notify', { kind: 'notify', timeout: 60 }],
      ['notify timeout=5', '{notify: true, timeout: 5}', { kind: 'notify', timeout: 5 }],
      ['delay:2', '{delay: 2}', { kind: 'delay', seconds: 2 }],
      ['http://127.0.0.1:8000/healthz', '{http: "http://127.0.0.1:8000/healthz"}', { kind: 'http', url: 'http://127.0.0.1:8000/healthz', timeout: 60 }],
      ['http://h/x timeout=3', '{http: "http://h/x", timeout: 3}', { kind: 'http', url: 'http://h/x', timeout: 3 }],
      ['none', 'none', { kind: 'none' }],
    ];
    for (const [iniValue, yamlValue, want] of cases) {
      assert.deepEqual(ini(`[watcher:w]\ncmd = x\nready = ${iniValue}\n`).watchers[0]?.ready, want, iniValue);
      assert.deepEqual(yaml(`watchers:\n  w:\n    cmd: x\n    ready: ${yamlValue}\n`).watchers[0]?.ready, want, yamlValue);
      assert.deepEqual(yaml(`watchers:\n  w:\n    cmd: x\n    ready: "${iniValue}"\n`).watchers[0]?.ready, want, iniValue);
    }
  });

  it('maps Circus options: FancyStdoutStream prefixes, loglevel names, ignored options warn', () => {
    const c = ini('[circus]\nloglevel = WARNING\nhttpd = True\n[watcher:w]\ncmd = x\nstdout_stream.class = FancyStdoutStream\non_demand = true\nflapping.attempts = 3\n');
    assert.equal(c.ringmaster.loglevel, 'warn');
    assert.equal(c.watchers[0]?.output, 'prefix');
    assert.deepEqual(c.warnings, [
      'ringmaster.httpd: circus-web is not provided; ringmaster serves /metrics, /livez and /readyz on http_host:http_port; ignored (circus.ini:3:1)',
      'watchers.w.stdout_stream.*: ringmaster writes no log files: worker output goes to the container log (see output); ignored (circus.ini:6:1)',
      'watchers.w.on_demand: workers start at once; ignored (circus.ini:7:1)',
      'watchers.w.flapping.*: ringmaster backs off between restarts (backoff_*) and gives up after max_retry; ignored (circus.ini:8:1)',
    ]);
  });

  it('refuses a config that defines nothing to run: empty, comments only, empty sections, sockets or options alone', () => {
    const yamlFix = 'add a watchers: or tasks: section (watchers: {web: {cmd: ...}}), or run a single command with ringmaster -- CMD';
    const iniFix = 'add a [watcher:NAME] or [task:NAME] section with a cmd, or run a single command with ringmaster -- CMD';
    const nothing = (file: string, fix: string) =>
      `the configuration defines nothing to run: ${file} has no watcher and no task (an empty file, or only comments, options or sockets); ${fix}`;
    for (const text of ['', '\n', '# nothing yet\n', 'sockets:\nwatchers:\nenv:\n', 'watchers: {}\n', 'watchers: {}\ntasks: {}\n', 'tasks:\n', 'ringmaster: {http_port: 9000}\nsockets: {web: {port: 0}}\n', '---\n']) {
      assert.deepEqual(messagesOf(() => yaml(text)), [nothing('ringmaster.yaml', yamlFix)], JSON.stringify(text));
    }
    for (const text of ['', '; comment\n', '[watcher:web]\n', '[task:migrate]\n', '[circus]\nhttpd = 1\n[socket:web]\nport = 0\n']) {
      assert.deepEqual(messagesOf(() => ini(text)), [nothing('circus.ini', iniFix)], JSON.stringify(text));
    }
    // other problems first: the missing watcher is what they cause
    assert.deepEqual(messagesOf(() => yaml('sockets: {web: {port: many}}\n')).length, 1);
    // one empty section beside a real watcher is still nothing configured there
    assert.deepEqual(yaml('sockets:\nwatchers: {w: {cmd: x}}\nenv:\n').watchers.map((w) => w.name), ['w']);
    assert.deepEqual(ini('[DEFAULT]\nx = 1\n[watcher:w]\ncmd = x\n').warnings, [
      '[DEFAULT]: default values for every section are not supported; section ignored (circus.ini:1:1)',
    ]);
  });

  it('refuses to forward the signals the init keeps for itself', () => {
    assert.deepEqual(messagesOf(() => yaml('watchers:\n  w:\n    cmd: x\n    forward_signals: [usr1, TERM, 9]\n')), [
      'watchers.w.forward_signals cannot include SIGTERM: ringmaster shuts down on SIGTERM (drain_delay, then the watchers stop), so it never reaches the workers; remove it (ringmaster ctl signal w TERM sends it to them) (ringmaster.yaml:4:22)',
      'watchers.w.forward_signals cannot include SIGKILL: SIGKILL cannot be caught, so it never reaches the workers; remove it (ringmaster ctl signal w KILL sends it to them) (ringmaster.yaml:4:22)',
    ]);
  });

  it('publishes a draft-07 schema that the prebuilt validator was built from', () => {
    const s = configSchema() as { $schema: string; properties: Record<string, unknown> };
    assert.equal(s.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.deepEqual(Object.keys(s.properties), ['ringmaster', 'sockets', 'watchers', 'tasks', 'env']);
    assert.ok(prebuiltValidator(), 'npm run build writes dist/src/config/validator.generated.cjs');
  });

  it('gives the same issues with the prebuilt and the run-time compiled validator', () => {
    const text = 'ringmaster: {graceful_timeout: x}\nwatchers:\n  w: {cmd: 1, numprocesses: -2, ready: {http: 3}, bogus: 1}\n  v: {}\nextra: 1\n';
    const prebuilt = prebuiltValidator();
    assert.ok(prebuilt);
    const a = schemaIssues(yamlSource(text, 'f.yaml', {}), new Set(), prebuilt);
    const b = schemaIssues(yamlSource(text, 'f.yaml', {}), new Set(), compileAtRuntime());
    assert.deepEqual(a, b);
    assert.equal(a.length, 7);
  });

  it('loads neither yaml nor ajv for an INI config, and yaml for a YAML config', () => {
    const probe = (format: string, text: string): string[] => {
      const code = `
        import { parseConfigText } from ${JSON.stringify(INDEX)};
        import { createRequire } from 'node:module';
        parseConfigText(${JSON.stringify(text)}, { file: 'x.${format}', env: {} });
        const cache = Object.keys(createRequire(import.meta.url).cache);
        // a package, or its one-file build in dist/vendor/ (config/vendored.ts)
        console.log(JSON.stringify(['yaml', 'ajv'].filter((m) => cache.some((p) => p.includes('/node_modules/' + m + '/') || p.endsWith('/dist/vendor/' + m + '.cjs')))));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as string[];
    };
    assert.deepEqual(probe('ini', '[watcher:w]\ncmd = x\n'), []);
    assert.deepEqual(probe('yaml', 'watchers:\n  w: {cmd: x}\n'), ['yaml']);
  });
});
