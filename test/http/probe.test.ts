/**
 * `ringmaster probe` as the image's HEALTHCHECK runs it: no --url, the port read from the
 * same config the init reads; exit 0 while the endpoint answers 2xx, 1 otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { BIN, startRingmaster } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  s.close();
  await once(s, 'close');
  return port;
}

const probe = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [BIN, 'probe', ...args], { encoding: 'utf8', env });

test('probe without --url reads http_port from the config: live but not ready (exit 1 with the reason), then ready', async () => {
  const t = tempDir();
  const port = await freePort();
  // "slow" never sends READY=1: the init is live, not ready, until that watcher is stopped.
  const path = t.write('p.yaml', `ringmaster:\n  http_port: ${port}\nwatchers:\n  web:\n    cmd: sleep 60\n  slow:\n    cmd: sleep 60\n    ready: notify\n`);
  const rm = startRingmaster(['-c', path]);
  try {
    await rm.waitStderr((s) => s.includes('all watchers started'));
    assert.equal(probe(['-c', path]).status, 0);
    const notReady = probe(['--ready', '-c', path]);
    assert.equal(notReady.status, 1);
    assert.match(notReady.stderr, /answered 503: .*slow/);
    assert.equal((await ctl(rm, ['stop', 'slow'])).code, 0);
    assert.equal(probe(['--ready', '-c', path]).status, 0);
    // RINGMASTER_CONFIG_FILE is one of the sources the init reads too.
    assert.equal(probe(['--ready'], { ...process.env, RINGMASTER_CONFIG_FILE: path }).status, 0);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
    const gone = probe(['-c', path]);
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /ECONNREFUSED/);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('probe with no http_port anywhere is a usage error that says what to do', () => {
  const t = tempDir();
  try {
    const r = probe(['-c', t.write('n.yaml', 'watchers:\n  w:\n    cmd: sleep 1\n')]);
    assert.equal(r.status, 64);
    assert.match(r.stderr, /no http_port in the configuration: give --url, or set http_port/);
  } finally {
    t.cleanup();
  }
});
