import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startRingmaster, BIN, runCollect } from '../helpers/run.js';
import { get, portFromLog } from '../helpers/http.js';
import { tempDir } from '../helpers/config.js';
import { collectEvents } from '../helpers/events.js';
import { barePreloadProblem, namesBarePreload, resolvesFrom, withPreloadWarnings } from '../../src/config/preload-check.js';
import { PRELOAD_URL } from '../../src/supervisor/preload-url.js';
import { substitute } from '../../src/supervisor/substitute.js';
import type { Config } from '../../src/config/types.js';

// An app of its own, in a directory with no node_modules anywhere up its tree.
const APP = `import { createServer } from 'node:http';
createServer((req, res) => res.end('anywhere ' + process.pid + ' ' + process.cwd() + '\\n')).listen(3000);
`;

test('$(ringmaster.preload) is the file URL of the built preload; other keys are untouched', () => {
  const ctx = { wid: 1, sockets: new Map<string, number>(), env: {} };
  assert.equal(substitute('$(ringmaster.preload)', ctx), PRELOAD_URL);
  assert.equal(substitute('--import=((circus.PRELOAD))', ctx), `--import=${PRELOAD_URL}`);
  assert.ok(PRELOAD_URL.startsWith('file:///') && PRELOAD_URL.endsWith('/dist/src/worker/preload.js'), PRELOAD_URL);
  assert.ok(existsSync(fileURLToPath(PRELOAD_URL)));
});

test('the bare preload name: found in argv and NODE_OPTIONS, in every spelling Node takes', () => {
  for (const argv of [
    ['node', '--import', 'ringmaster/preload', 'a.js'],
    ['node', '--import=ringmaster/preload', 'a.js'],
    ['node', '--experimental-loader', 'ringmaster/preload', 'a.js'],
  ]) assert.ok(namesBarePreload(argv), argv.join(' '));
  for (const argv of [
    ['node', `--import=${PRELOAD_URL}`, 'a.js'],
    ['node', 'ringmaster/preload'],
    ['ringmaster/preload'],
    [],
    ['node', '--import', ''],
    ['node', '--import=', 'x'.repeat(100_000)],
  ]) assert.ok(!namesBarePreload(argv), argv.join(' ').slice(0, 80));
  const w = { name: 'web', argv: ['node', '--import', 'ringmaster/preload', 'a.js'], env: {}, working_dir: 'app' };
  const problem = barePreloadProblem(w, '/srv', () => false);
  assert.match(problem ?? '', /^watchers\.web\.cmd: "ringmaster\/preload" does not resolve from \/srv\/app .*ERR_MODULE_NOT_FOUND.*--import \$\(ringmaster\.preload\)/);
  assert.equal(barePreloadProblem(w, '/srv', () => true), undefined);
  const viaEnv = { name: 'web', argv: ['node', 'a.js'], env: { NODE_OPTIONS: '--max-old-space-size=64  --import=ringmaster/preload' }, working_dir: undefined };
  assert.match(barePreloadProblem(viaEnv, '/srv', () => false) ?? '', /^watchers\.web\.env\.NODE_OPTIONS: .* from \/srv /);
  assert.equal(barePreloadProblem({ ...w, argv: ['node', 'a.js'] }, '/srv', () => false), undefined);
  // the checkout resolves its own name (self-reference); a directory outside it does not
  assert.ok(resolvesFrom(fileURLToPath(new URL('../../../', import.meta.url))));
  const t = tempDir();
  try {
    assert.ok(!resolvesFrom(t.dir));
  } finally {
    t.cleanup();
  }
  const config = { watchers: [w], warnings: ['earlier'] } as unknown as Config;
  assert.equal(withPreloadWarnings(config, '/srv', () => true), config);
  const warned = withPreloadWarnings(config, '/srv', () => false);
  assert.equal(warned.warnings.length, 2);
  assert.ok(Object.isFrozen(warned));
});

test('the preload from a directory without node_modules: $(ringmaster.preload), and $RINGMASTER_PRELOAD in a shell', async () => {
  const t = tempDir();
  const app = t.write('app.mjs', APP);
  const cfg = t.write(
    'rm.yaml',
    `sockets:
  a: {host: 127.0.0.1, port: 0}
  b: {host: 127.0.0.1, port: 0}
watchers:
  a:
    cmd: node --import $(ringmaster.preload) app.mjs
    working_dir: ${t.dir}
    sockets: [a]
    ready: notify
  b:
    cmd: node --import "$RINGMASTER_PRELOAD" ${app}
    shell: true
    working_dir: /
    sockets: [b]
    ready: notify
`,
  );
  const rm = startRingmaster(['-c', cfg]);
  try {
    await rm.waitStderr((s) => (s.match(/worker ready/g) ?? []).length >= 2);
    for (const [name, dir] of [['a', t.dir], ['b', '/']] as const) {
      const r = await get(`http://127.0.0.1:${portFromLog(rm.stderr(), name)}/`);
      assert.equal(r.status, 200, name);
      assert.match(r.body, new RegExp(`^anywhere \\d+ ${dir}\\n$`), name);
    }
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('the bare ringmaster/preload from a directory without node_modules: a warning with the fix, and the FATAL says why', async () => {
  const t = tempDir();
  t.write('app.mjs', APP);
  const cfg = t.write(
    'rm.yaml',
    `sockets:
  web: {host: 127.0.0.1, port: 0}
watchers:
  web:
    cmd: node --import ringmaster/preload app.mjs
    working_dir: ${t.dir}
    use_sockets: true
    autostart: false
    max_retry: 1
    backoff_initial: 0.01
`,
  );
  const check = await runCollect([process.execPath, BIN, 'check', cfg]);
  assert.match(check.out + check.err, /warning: watchers\.web\.cmd: "ringmaster\/preload" does not resolve from .*write --import \$\(ringmaster\.preload\)/);
  const rm = startRingmaster(['-c', cfg]);
  try {
    await rm.waitStderr((s) => s.includes('does not resolve from'));
    const events = await collectEvents(rm);
    try {
      const ctl = await runCollect([process.execPath, BIN, 'ctl', 'start', 'web'], { env: { ...process.env, RINGMASTER_CONTROL_SOCKET: rm.controlSocket } });
      assert.ok(ctl.code !== null, ctl.err);
      const fatal = await events.waitFor('watcher.fatal', (e) => e.watcher === 'web');
      assert.match(fatal.reason, /quick failures in a row.*; watchers\.web\.cmd: "ringmaster\/preload" does not resolve from .*ERR_MODULE_NOT_FOUND/);
    } finally {
      await events.close();
    }
    process.kill(await rm.initPidNow(), 'SIGTERM');
    await rm.exit();
  } finally {
    await rm.close();
    t.cleanup();
  }
});
