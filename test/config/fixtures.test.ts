import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, parseConfigText } from '../../src/config/index.js';
import { FIXTURES } from './helpers.js';

const load = (name: string, env: NodeJS.ProcessEnv = {}) => {
  const c = loadConfig({ path: join(FIXTURES, name), env, cwd: FIXTURES });
  assert.ok(c);
  return c;
};

describe('Circus documentation examples, for Node workers', () => {
  it('the configuration page example: includes, [env:NAME], hooks, streams, plugin', () => {
    const c = load('circus-docs.ini', { VAR: 'from-env', PATH: '/usr/bin' });
    assert.equal(c.source.format, 'ini');
    assert.deepEqual(c.source.files, [join(FIXTURES, 'circus-docs.ini'), join(FIXTURES, 'extra.more.config.ini')]);
    assert.equal(c.ringmaster.umask, 0o002);
    assert.deepEqual(c.sockets.map((s) => [s.name, s.host, s.port]), [['web', 'localhost', 8080]]);
    const [prog, janitor] = c.watchers;
    assert.equal(prog?.name, 'myprogram');
    assert.deepEqual(prog?.argv, ['node', 'myprogram.mjs', '--wid', '$(circus.wid)', 'from-env']);
    assert.equal(prog?.numprocesses, 5, 'the main file wins over its includes');
    assert.deepEqual(prog?.env, { PATH: '/usr/bin:/bin', CAKE: 'lie' });
    assert.equal(prog?.output, 'inherit');
    assert.deepEqual(prog?.sockets, []);
    assert.deepEqual([janitor?.name, janitor?.singleton, janitor?.priority], ['janitor', true, -1]);
    assert.deepEqual(c.warnings, [
      `[watcher:myprogram] numprocesses at ${join(FIXTURES, 'extra.more.config.ini')}:4 is ignored: it is set already at ${join(FIXTURES, 'circus-docs.ini')}:15 (the first one counts, as in Circus)`,
      `[plugin:statsd]: plugins are not supported (ringmaster has built-in backoff and /metrics); section ignored (${join(FIXTURES, 'circus-docs.ini')}:33:1)`,
      `ringmaster.check_delay: ringmaster reacts to exits at once; ignored (${join(FIXTURES, 'circus-docs.ini')}:5:1)`,
      `ringmaster.endpoint: ringmaster has no ZMQ endpoints; control it with control_socket (ringmaster ctl); ignored (${join(FIXTURES, 'circus-docs.ini')}:6:1)`,
      `ringmaster.pubsub_endpoint: ringmaster publishes no ZMQ events; watch /metrics and the logs; ignored (${join(FIXTURES, 'circus-docs.ini')}:7:1)`,
      `watchers.myprogram.hooks.*: Python hooks are not supported; ignored (${join(FIXTURES, 'circus-docs.ini')}:18:1)`,
      `watchers.myprogram.stdout_stream.*: ringmaster writes no log files: worker output goes to the container log (see output); ignored (${join(FIXTURES, 'circus-docs.ini')}:21:1)`,
    ]);
  });

  it('the web server example, in INI and in YAML, gives the same watchers and sockets', () => {
    const fromIni = load('circus-webserver.ini');
    const fromYaml = load('webserver.yaml');
    assert.deepEqual(fromIni.watchers, fromYaml.watchers);
    assert.deepEqual(fromIni.sockets, fromYaml.sockets);
    const [web] = fromIni.watchers;
    assert.deepEqual(web?.argv, ['node', 'server.mjs', '--fd', '$(circus.sockets.webapp)']);
    assert.deepEqual(web?.sockets, ['webapp']);
    assert.equal(web?.numprocesses, 3);
    assert.equal(fromIni.warnings.length, 3);
    assert.deepEqual(fromYaml.warnings, []);
  });

  it('the Django deployment example: [env] and [env:PATTERNS], rlimits, signals', () => {
    const c = load('circus-django.ini');
    const [queue, web] = c.watchers;
    assert.deepEqual(c.sockets.map((s) => [s.name, s.host, s.port]), [['webapp', '0.0.0.0', 8080]]);
    assert.deepEqual(web?.argv, ['node', '--enable-source-maps', 'web.mjs', '--fd', '((circus.sockets.webapp))']);
    assert.deepEqual(web?.sockets, ['webapp']);
    assert.equal(web?.stop_signal, 'SIGQUIT');
    assert.equal(web?.graceful_timeout, 10);
    assert.deepEqual(web?.rlimits, { nofile: 4096, core: null });
    assert.deepEqual(web?.env, { NODE_ENV: 'production', LOG_LEVEL: 'info' });
    assert.deepEqual(queue?.env, { NODE_ENV: 'production', LOG_LEVEL: 'debug' });
    assert.deepEqual([queue?.max_age, queue?.max_age_variance, queue?.respawn], [3600, 300, true]);
  });

  it('parses the same text through parseConfigText with the format from the name', () => {
    const text = readFileSync(join(FIXTURES, 'webserver.yaml'), 'utf8');
    assert.equal(parseConfigText(text, { file: 'x.yml', env: {} }).source.format, 'yaml');
    assert.equal(parseConfigText(text, { file: 'no-extension', env: {} }).source.format, 'yaml');
    const iniText = readFileSync(join(FIXTURES, 'circus-webserver.ini'), 'utf8');
    assert.equal(parseConfigText(iniText, { file: 'circus.conf', env: {} }).source.format, 'ini');
    assert.equal(parseConfigText(iniText, { file: 'no-extension', env: {} }).source.format, 'ini');
  });
});
