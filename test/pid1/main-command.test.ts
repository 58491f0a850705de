// `ringmaster -c FILE -- CMD`: a main command with sidecar watchers, as PID 1 with real
// processes. The order of what happened is read from a file every process appends to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { ROOT, startRingmaster } from '../helpers/run.js';
import { tempDir, type TempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { eventsAfter } from '../helpers/events.js';
import { get } from '../helpers/http.js';

/** A sidecar that logs its start, says READY=1 after `delayMs`, and logs the SIGTERM it gets. */
function sidecar(t: TempDir, log: string, delayMs: number): string {
  return t.write(
    'sidecar.mjs',
    `import { appendFileSync } from 'node:fs';
import { ready } from '${ROOT}dist/src/worker/index.js';
const log = (m) => appendFileSync(${JSON.stringify(log)}, m + '\\n');
log('sidecar started');
setTimeout(() => { log('sidecar ready'); void ready(); }, ${delayMs});
process.on('SIGTERM', () => { log('sidecar got SIGTERM'); process.exit(0); });
setInterval(() => {}, 1 << 30);
`,
  );
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

test('the main command starts once its sidecar is READY, its exit status is the init\'s, the sidecar is stopped before the init exits', async () => {
  const t = tempDir();
  const log = `${t.dir}/order.log`;
  const cfg = `watchers:
  side:
    cmd: node ${sidecar(t, log, 400)}
    ready: notify
`;
  const rm = startRingmaster(['-c', t.write('m.yaml', cfg), '--', 'sh', '-c', `echo "main started" >> ${log}; exit 7`]);
  try {
    assert.equal((await rm.exit()).code, 7, rm.stderr());
    assert.deepEqual(lines(log), ['sidecar started', 'sidecar ready', 'main started', 'sidecar got SIGTERM']);
    assert.match(rm.stderr(), /main command exited: shutting down/);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('SIGTERM to the init reaches the main command first, then the sidecars stop; ctl status and /readyz show the main command', async () => {
  const t = tempDir();
  const log = `${t.dir}/order.log`;
  const cfg = `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
watchers:
  side:
    cmd: node ${sidecar(t, log, 100)}
    ready: notify
`;
  const main = `trap 'echo "main got TERM" >> ${log}; exit 5' TERM; echo "main started" >> ${log}; while :; do sleep 0.05; done`;
  const rm = startRingmaster(['-c', t.write('m.yaml', cfg), '--', 'sh', '-c', main]);
  const events = await eventsAfter(rm, () => rm.waitStderr((s) => s.includes('http endpoint listening')));
  try {
    await rm.waitStderr((s) => s.includes('main command started'));
    const base = /http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr())?.[1] as string;
    const ready = await get(`${base}/readyz`);
    assert.equal(ready.status, 200, ready.body);
    const body = JSON.parse(ready.body) as { main?: { state: string; pid?: number } };
    assert.equal(body.main?.state, 'running');
    assert.equal(typeof body.main?.pid, 'number');
    const status = await ctl(rm, ['status']);
    assert.match(status.stdout, new RegExp(`^main: sh -c .*: pid ${body.main?.pid}, running, up `, 'm'));
    const json = JSON.parse((await ctl(rm, ['status', '--json'])).stdout) as { main?: { state: string; pid?: number } };
    assert.equal(json.main?.pid, body.main?.pid);
    // a reload leaves the main command and the sidecar alone
    assert.equal((await ctl(rm, ['reload'])).code, 0);
    const reloaded = await events.waitFor('reload.result');
    const after = JSON.parse((await ctl(rm, ['status', '--json'])).stdout) as { main?: { state: string; pid?: number } };
    assert.equal(after.main?.pid, body.main?.pid);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 5, rm.stderr());
    assert.deepEqual(lines(log), ['sidecar started', 'sidecar ready', 'main started', 'main got TERM', 'sidecar got SIGTERM']);
    assert.equal((await events.ctl.exit()).code, 0);
    assert.equal(events.all('worker.exited', (e) => e.watcher === 'side' && e.cause === 'stopped').length, 1);
    assert.equal(events.all('worker.spawned', (e) => e.seq > reloaded.seq).length, 0, 'the reload restarted something');
  } finally {
    await events.close();
    await rm.close();
    t.cleanup();
  }
});

test('a sidecar FATAL before the main command starts: ringmaster exits non-zero and the main command never ran', async () => {
  const t = tempDir();
  const marker = `${t.dir}/ran`;
  const cfg = `watchers:
  broken:
    cmd: sh -c "exit 4"
    ready: notify
    max_retry: 1
    backoff_initial: 0.05
`;
  const rm = startRingmaster(['-c', t.write('f.yaml', cfg), '--', 'sh', '-c', `touch ${marker}`]);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 4, rm.stderr());
    assert.equal(existsSync(marker), false, 'the main command ran');
    assert.match(rm.stderr(), /watcher broken is FATAL before the main command started: not starting it/);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('a config of sockets only and a main command: the sockets are its fds 3.. with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID; -e remaps its status', async () => {
  const t = tempDir();
  const out = `${t.dir}/fds`;
  const cfg = `sockets:
  web:
    host: 127.0.0.1
    port: 0
  admin:
    host: 127.0.0.1
    port: 0
`;
  const main = `echo "fds=$LISTEN_FDS names=$LISTEN_FDNAMES pid=$([ "$LISTEN_PID" = "$$" ] && echo ok) fd3=$(readlink /proc/$$/fd/3) fd4=$(readlink /proc/$$/fd/4) arg=$1" > ${out}; exit 3`;
  const rm = startRingmaster(['-e', '3', '-c', t.write('s.yaml', cfg), '--', 'sh', '-c', main, 'sh', '$(circus.sockets.web)']);
  try {
    assert.equal((await rm.exit()).code, 0, rm.stderr());
    assert.match(readFileSync(out, 'utf8'), /^fds=2 names=admin:web pid=ok fd3=socket:\[\d+\] fd4=socket:\[\d+\] arg=4$/m);
  } finally {
    await rm.close();
    t.cleanup();
  }
});
