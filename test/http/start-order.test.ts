// What an init starts first (issue #15): without a privilege drop, the first workers are
// spawned before the HTTP endpoint and the control socket load (a worker does not wait for
// what only the probes and ctl need); with one, everything loads before the drop, so the
// endpoint comes first. Either way /livez and ctl answer once up. As PID 1 of a namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ctl } from '../helpers/ctl.js';
import { tempDir } from '../helpers/config.js';
import { get } from '../helpers/http.js';
import { startRingmaster } from '../helpers/run.js';

const config = (user: string) => `ringmaster:\n${user}  http_host: 127.0.0.1\n  http_port: 0\nsockets:\n  web:\n    host: 127.0.0.1\n    port: 0\nwatchers:\n  w:\n    cmd: sleep 60\n    use_sockets: true\n`;

async function order(user: string): Promise<{ worker: number; http: number }> {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('c.yaml', config(user))]);
  try {
    const err = await rm.waitStderr((s) => s.includes('http endpoint listening') && s.includes('worker started'), 20_000);
    const url = /http endpoint listening url=(http:\/\/\S+)/.exec(err)?.[1];
    assert.ok(url, err);
    assert.equal((await get(`${url}/livez`)).status, 200);
    assert.equal((await ctl(rm, ['status'])).code, 0);
    return { worker: err.indexOf('worker started'), http: err.indexOf('http endpoint listening') };
  } finally {
    await rm.close();
    t.cleanup();
  }
}

test('start order: no privilege drop: the first worker is spawned before the HTTP endpoint listens; /livez and ctl then answer', async () => {
  const o = await order('');
  assert.ok(o.worker < o.http, `worker started at ${o.worker}, http at ${o.http}`);
});

test('start order: user: nobody: the HTTP endpoint (loaded before the drop) listens before the first worker starts', async () => {
  const o = await order('  user: nobody\n');
  assert.ok(o.http < o.worker, `worker started at ${o.worker}, http at ${o.http}`);
});
