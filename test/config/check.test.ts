/**
 * `ringmaster check` also asks this machine what the config cannot know: users, working
 * directories, commands.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { hostChecks } from '../../src/cli/check.js';
import { yaml } from './helpers.js';

test('check: an unknown user or a working_dir that is a file are errors (exit 78); a missing directory or command a warning', () => {
  const t = tempDir();
  try {
    const path = t.write(
      'a.yaml',
      `watchers:
  bad:
    cmd: sleep 60
    uid: no-such-user-xyz
  file:
    cmd: sleep 60
    working_dir: /etc/passwd
  later:
    cmd: no-such-binary-xyz --flag
    working_dir: /nonexistent/dir
`,
    );
    const r = spawnSync(process.execPath, [BIN, 'check', path], { encoding: 'utf8' });
    assert.equal(r.status, 78, r.stderr);
    assert.match(r.stderr, /^watchers\.bad\.uid: unknown user "no-such-user-xyz"/m);
    assert.match(r.stderr, /^watchers\.file\.working_dir: \/etc\/passwd is not a directory$/m);
    assert.match(r.stderr, /^warning: watchers\.later\.working_dir: \/nonexistent\/dir does not exist here/m);
    assert.match(r.stderr, /^warning: watchers\.later\.cmd: "no-such-binary-xyz" is not an executable in PATH here$/m);
    assert.doesNotMatch(r.stdout, /^ok$/m);
  } finally {
    t.cleanup();
  }
});

test('check --json: one object a script can act on, each problem with its code, key and position', () => {
  const t = tempDir();
  try {
    const bad = t.write('bad.yaml', 'watchers:\n  web:\n    cmd: sleep 60\n    numprocess: 2\n    numprocesses: two\n');
    const r = spawnSync(process.execPath, [BIN, 'check', '--json', bad], { encoding: 'utf8' });
    assert.equal(r.status, 78, r.stderr);
    assert.equal(r.stderr, '');
    const failed = JSON.parse(r.stdout) as { ok: boolean; code: string; problems: Array<Record<string, unknown>> };
    assert.equal(failed.ok, false);
    assert.equal(failed.code, 'RM_CONFIG');
    assert.deepEqual(
      failed.problems.map((p) => [p['code'], p['path'], p['line']]),
      [['RM_CONFIG_UNKNOWN_KEY', 'watchers.web.numprocess', 4], ['RM_CONFIG_VALUE', 'watchers.web.numprocesses', 5]],
    );
    const text = spawnSync(process.execPath, [BIN, 'check', bad], { encoding: 'utf8' });
    assert.equal(text.status, 78);
    assert.match(text.stderr, /^2 problems in the configuration:\n {2}- watchers\.web\.numprocess is not a known watcher option/);
    const good = t.write('good.yaml', 'watchers:\n  web:\n    cmd: sleep 60\n');
    const g = spawnSync(process.execPath, [BIN, 'check', '--json', good], { encoding: 'utf8' });
    assert.equal(g.status, 0, g.stderr);
    assert.deepEqual(JSON.parse(g.stdout), { ok: true, files: [good], warnings: [], sockets: [], watchers: ['web'] });
  } finally {
    t.cleanup();
  }
});

test('hostChecks: a good config has nothing to say; PATH lookups use the watcher\'s own PATH', () => {
  const ok = yaml('watchers:\n  w:\n    cmd: sleep 60\n    working_dir: /tmp\n');
  assert.deepEqual(hostChecks(ok, '/', { PATH: '/usr/bin:/bin' }), { errors: [], warnings: [] });
  const own = yaml('watchers:\n  w:\n    cmd: sleep 60\n    env:\n      PATH: /nonexistent\n');
  assert.deepEqual(hostChecks(own, '/', { PATH: '/usr/bin:/bin' }).warnings, ['watchers.w.cmd: "sleep" is not an executable in PATH here']);
  const relative = yaml('watchers:\n  w:\n    cmd: ./run.sh\n');
  assert.deepEqual(hostChecks(relative, '/etc', {}).warnings, ['watchers.w.cmd: "./run.sh" is not an executable file here']);
  // a path through a file is an error, not a crash; with executable, that is what must exist
  const under = yaml('watchers:\n  w:\n    cmd: app --flag\n    executable: /bin/sleep\n    working_dir: /etc/passwd/sub\n');
  assert.deepEqual(hostChecks(under, '/', { PATH: '/nonexistent' }), {
    errors: [{ code: 'RM_CONFIG_VALUE', path: 'watchers.w.working_dir', message: 'watchers.w.working_dir: /etc/passwd/sub is not a directory' }],
    warnings: [],
  });
});

test('ringmaster schema prints the JSON Schema an editor can use: it accepts a good config and rejects a bad one', async () => {
  const r = spawnSync(process.execPath, [BIN, 'schema'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const schema = JSON.parse(r.stdout) as { $schema?: string; properties?: Record<string, unknown> };
  assert.match(schema.$schema ?? '', /json-schema\.org/);
  assert.deepEqual(Object.keys(schema.properties ?? {}).sort(), ['env', 'ringmaster', 'sockets', 'watchers']);
  const { default: Ajv } = (await import('ajv')) as unknown as { default: new (o: object) => { compile(s: object): (d: unknown) => boolean } };
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  assert.equal(validate({ sockets: { web: { port: 8080 } }, watchers: { web: { cmd: 'node app.js', numprocesses: 2, use_sockets: true } } }), true);
  assert.equal(validate({ watchers: { web: { cmd: 'node app.js', numprocesses: 'two' } } }), false);
  assert.equal(validate({ watchers: { web: { cmd: 'node app.js', numprocs: 2 } } }), false);
});

test('scale_watcher matches watcher names as the runtime does, ignoring case', () => {
  const c = yaml('ringmaster:\n  scale_watcher: web\nwatchers:\n  Web:\n    cmd: sleep 60\n');
  assert.equal(c.ringmaster.scale_watcher, 'web');
});
