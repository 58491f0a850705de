import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempSocketDir } from './fake.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'ringmaster');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function until(what: string, cond: () => boolean, init: ChildProcess): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) {
    if (init.exitCode !== null) throw new Error(`ringmaster exited (${init.exitCode}) before ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(cond(), what);
}

test('the real init and `ringmaster ctl`: status, scale, an error, quit; the socket goes with the init', async () => {
  const t = tempSocketDir();
  const sock = join(t.dir, 'ctl.sock');
  const config = join(t.dir, 'rm.yaml');
  writeFileSync(
    config,
    `ringmaster:
  control_socket: ${sock}
sockets:
  web:
    host: 127.0.0.1
    port: 0
watchers:
  web:
    cmd: node ${ROOT}fixtures/worker-http.mjs $(circus.sockets.web)
    sockets: [web]
    numprocesses: 2
`,
  );
  // The init reads control_socket from its config; ctl, given no config, finds it through the environment.
  const env = { RINGMASTER_CONTROL_SOCKET: sock };
  const init = spawn(process.execPath, [BIN, '-c', config], { env: { ...process.env, RINGMASTER_CONTROL_SOCKET: '' }, stdio: 'ignore' });
  try {
    await until('the control socket appears', () => existsSync(sock), init);
    assert.equal(lstatSync(sock).mode & 0o777, 0o600);

    const status = await run(['ctl', 'status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const snap = JSON.parse(status.stdout) as { pid: number; watchers: Array<{ name: string; desired: number }> };
    assert.equal(snap.pid, init.pid);
    assert.deepEqual(snap.watchers.map((w) => [w.name, w.desired]), [['web', 2]]);

    // Given only the config's location, as the init was, ctl finds the control_socket it names.
    const viaConfig = await run(['ctl', 'status', '--json'], { RINGMASTER_CONTROL_SOCKET: '', RINGMASTER_CONFIG_FILE: config });
    assert.equal(viaConfig.code, 0, viaConfig.stderr);
    assert.equal((JSON.parse(viaConfig.stdout) as { pid: number }).pid, init.pid);

    const table = await run(['ctl', 'status'], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^web +running +\d\/2 /m);

    const scale = await run(['ctl', 'scale', 'web', '1'], env);
    assert.deepEqual(scale, { code: 0, stdout: 'web: 1 process desired\n', stderr: '' });

    const bad = await run(['ctl', 'stop', 'wbe'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown watcher "wbe".*web.*\(RM_CTL_UNKNOWN_WATCHER\)/);

    const usage = await run(['ctl', 'scael', 'web', '1'], env);
    assert.equal(usage.code, 64);

    const quit = await run(['ctl', 'quit'], env);
    assert.deepEqual(quit, { code: 0, stdout: 'ringmaster is shutting down\n', stderr: '' });
    // The init may be gone before ctl is: its 'exit' event has then fired already.
    const code = init.exitCode ?? init.signalCode ?? ((await once(init, 'exit')) as [number | null])[0];
    assert.equal(code, 0);
    assert.equal(existsSync(sock), false, 'the init removed its control socket');

    const gone = await run(['ctl', 'status'], env);
    assert.equal(gone.code, 69);
  } finally {
    if (init.exitCode === null && init.signalCode === null) {
      init.kill('SIGTERM'); // the init stops its workers; SIGKILL would orphan them
      await once(init, 'exit');
    }
    t.cleanup();
  }
});
