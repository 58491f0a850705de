import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFileSync, readlinkSync } from 'node:fs';
import { startRingmaster, FIXTURES, childPids, sleep } from '../helpers/run.js';
import { get, hammer, portFromLog } from '../helpers/http.js';
import { tempDir } from '../helpers/config.js';

const worker = `node ${FIXTURES}worker-http.mjs $(circus.sockets.web)`;

function yaml(n: number, extra = ''): string {
  return `sockets:
  web:
    host: 127.0.0.1
    port: 0
watchers:
  web:
    cmd: ${worker}
    numprocesses: ${n}
${extra}`;
}

async function startPool(n: number, extra = '') {
  const t = tempDir();
  const path = t.write('ringmaster.yaml', yaml(n, extra));
  const rm = startRingmaster(['-c', path]);
  try {
    await rm.waitStdout((s) => (s.match(/listening \d+/g) ?? []).length >= n);
    const port = portFromLog(rm.stderr(), 'web');
    assert.ok(port, rm.stderr());
    return { rm, port, t, url: `http://127.0.0.1:${port}` };
  } catch (err) {
    // the caller's try/finally starts after this returns: a pool that never came up is stopped here
    await rm.close();
    t.cleanup();
    throw err;
  }
}

test('several Node workers serve one shared socket', async () => {
  const { rm, url, t } = await startPool(3);
  try {
    const init = await rm.initPid();
    const pids = childPids(init);
    assert.equal(pids.length, 3);
    // one socket: the same inode at fd 3 in every worker
    const inodes = new Set(pids.map((p) => readlinkSync(`/proc/${p}/fd/3`)));
    assert.equal(inodes.size, 1, [...inodes].join(' '));
    // and each of them serves it: with the others stopped, it alone answers
    for (const serving of pids) {
      const others = pids.filter((p) => p !== serving);
      for (const p of others) process.kill(p, 'SIGSTOP');
      try {
        const r = await get(`${url}/`);
        assert.equal(r.status, 200);
        // pids differ inside the namespace: compare worker ids, read from the environment
        const wid = /(?:^|\0)RINGMASTER_WID=(\d+)/.exec(readFileSync(`/proc/${serving}/environ`, 'latin1'))?.[1];
        assert.equal(String((JSON.parse(r.body) as { wid: number }).wid), wid);
      } finally {
        for (const p of others) process.kill(p, 'SIGCONT');
      }
    }
    process.kill(init, 'SIGTERM');
    const r = await rm.exit();
    assert.equal(r.code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('a worker killed with SIGKILL is respawned while clients keep connecting: nothing refused', async () => {
  const { rm, url, t } = await startPool(2);
  try {
    const init = await rm.initPid();
    const before = childPids(init);
    const client = hammer(url, 10_000);
    await sleep(200);
    process.kill(before[0] as number, 'SIGKILL');
    await rm.waitStdout((s) => (s.match(/listening \d+/g) ?? []).length >= 3);
    await sleep(300);
    const { ok, errors } = await client.stop();
    // The one request the killed worker had accepted may be cut (the client is sequential,
    // so at most one); a refused connection never happens: the socket stays open.
    assert.deepEqual(errors.filter((e) => /ECONNREFUSED/.test(e)), [], 'connection refused');
    assert.ok(errors.length <= 1, `failed requests: ${errors.join(', ')}`);
    assert.ok(ok > 10, `only ${ok} requests`);
    const after = childPids(init);
    assert.equal(after.length, 2);
    assert.ok(!after.includes(before[0] as number));
    assert.match(rm.stderr(), /worker exited watcher=web wid=\d pid=\d+ signal=SIGKILL/);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('connections queued on the socket survive the death of the only worker', async () => {
  const { rm, port, t } = await startPool(1);
  try {
    const init = await rm.initPid();
    const [pid] = childPids(init);
    // The worker cannot accept while stopped: connections wait in the listen queue.
    process.kill(pid as number, 'SIGSTOP');
    const pending = Array.from({ length: 5 }, () =>
      new Promise<string>((resolve, reject) => {
        const s = connect(port as number, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
        let data = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => (data += d));
        s.on('end', () => resolve(data));
        s.on('error', reject);
        s.setTimeout(15_000, () => s.destroy(new Error('timeout')));
      }),
    );
    await sleep(300);
    process.kill(pid as number, 'SIGKILL');
    const answers = await Promise.all(pending);
    for (const a of answers) assert.match(a, /^HTTP\/1.1 200/);
    process.kill(init, 'SIGTERM');
    await rm.exit();
  } finally {
    await rm.close();
    t.cleanup();
  }
});
