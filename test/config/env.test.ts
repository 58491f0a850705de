import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ini, messagesOf, yaml } from './helpers.js';

describe('environment interpolation', () => {
  const env = { PORT: '9000', EMPTY: '', HOME: '/home/app', Lower: 'l' };

  it('expands ${VAR} in YAML values and coerces the result to the option type', () => {
    const c = yaml('sockets:\n  web:\n    port: ${PORT}\n    host: ${HOST:-0.0.0.0}\nwatchers:\n  w:\n    cmd: node ${HOME}/app.js\n    numprocesses: ${N-2}\n', env);
    assert.equal(c.sockets[0]?.port, 9000);
    assert.equal(c.sockets[0]?.host, '0.0.0.0');
    assert.deepEqual(c.watchers[0]?.argv, ['node', '/home/app/app.js']);
    assert.equal(c.watchers[0]?.numprocesses, 2);
  });

  it('expands ${VAR} in INI values; $${ escapes; :- treats empty as unset', () => {
    const c = ini('[watcher:w]\ncmd = node app.js --x $${NOT} --y ${EMPTY:-dflt} --z ${EMPTY-dflt}\nwarmup_delay = ${PORT}\n', env);
    assert.deepEqual(c.watchers[0]?.argv, ['node', 'app.js', '--x', '${NOT}', '--y', 'dflt', '--z']);
    assert.equal(c.watchers[0]?.warmup_delay, 9000);
  });

  it('reports unset variables (and ${VAR:?message}) with their position', () => {
    assert.deepEqual(messagesOf(() => ini('[watcher:w]\ncmd = node ${APP:?set APP to the entry point}\n', env)), [
      'environment variable APP is not set: set APP to the entry point (circus.ini:2:7)',
    ]);
  });

  it('expands $(circus.env.NAME) and ((circus.env.NAME)) from env + [env], case-insensitively, unknown left verbatim', () => {
    const c = ini(
      '[env]\nAPP_DIR = /srv\n[watcher:w]\ncmd = node $(circus.env.app_dir)/a.js ((CIRCUS.ENV.PORT)) $(circus.env.nope) $(circus.wid)\nworking_dir = $(circus.env.HOME)\n',
      env,
    );
    assert.deepEqual(c.watchers[0]?.argv, ['node', '/srv/a.js', '9000', '$(circus.env.nope)', '$(circus.wid)']);
    assert.equal(c.watchers[0]?.working_dir, '/home/app');
  });

  it('gives [env] values Circus $NAME expansion, upper-case names only', () => {
    const c = ini('[env]\nPATH2 = $HOME/bin:$Lower:$UNSET_X\n[watcher:w]\ncmd = x\n', env);
    assert.equal(c.env['PATH2'], '/home/app/bin:$Lower:');
    assert.ok(c.warnings.some((w) => w.includes('$UNSET_X is not set')));
  });

  it('layers [env] < [env:PATTERNS] (in file order) < the watcher env, with fnmatch patterns', () => {
    const c = ini(
      [
        '[env]',
        'A = global',
        'B = global',
        'C = global',
        '[env:web*, other]',
        'B = pattern1',
        'C = pattern1',
        '[env:webapp]',
        'C = pattern2',
        '[watcher:webapp]',
        'cmd = x',
        'env = D=own, B=own',
        '[watcher:worker]',
        'cmd = y',
        '[watcher:other]',
        'cmd = z',
      ].join('\n'),
    );
    const envOf = (n: string): Record<string, string> | undefined => c.watchers.find((w) => w.name === n)?.env;
    assert.deepEqual(envOf('webapp'), { A: 'global', B: 'own', C: 'pattern2', D: 'own' });
    assert.deepEqual(envOf('worker'), { A: 'global', B: 'global', C: 'global' });
    assert.deepEqual(envOf('other'), { A: 'global', B: 'pattern1', C: 'pattern1' });
    assert.deepEqual(c.env, { A: 'global', B: 'global', C: 'global' });
  });

  it('uses the watcher env for $(circus.env.*) inside that watcher', () => {
    const c = ini('[env:w]\nPORT = 7000\n[watcher:w]\ncmd = node a.js --port $(circus.env.PORT)\n', env);
    assert.deepEqual(c.watchers[0]?.argv, ['node', 'a.js', '--port', '7000']);
  });

  it('turns YAML env numbers and booleans into strings', () => {
    const c = yaml('env:\n  N: 1\n  B: true\nwatchers:\n  w:\n    cmd: x\n    env: {X: 2.5, Y: null}\n');
    assert.deepEqual(c.env, { N: '1', B: 'true' });
    assert.deepEqual(c.watchers[0]?.env, { N: '1', B: 'true', X: '2.5', Y: '' });
  });

  it('copies the init environment by default (unlike Circus)', () => {
    assert.equal(yaml('watchers:\n  w: {cmd: x}\n').watchers[0]?.copy_env, true);
    assert.equal(ini('[watcher:w]\ncmd = x\ncopy_env = false\n').watchers[0]?.copy_env, false);
  });
});
