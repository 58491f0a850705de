import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, sleep, startProcess, startRingmaster } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { get } from '../helpers/http.js';

const ini = (n: number) => `[ringmaster]\nuser = nobody\nhttp_host = 127.0.0.1\nhttp_port = 0\n[watcher:w]\ncmd = sleep 60\nnumprocesses = ${n}\n`;
const yaml = (n: number) => `ringmaster:\n  user: nobody\n  http_host: 127.0.0.1\n  http_port: 0\nwatchers:\n  w:\n    cmd: sleep 60\n    numprocesses: ${n}\n`;

/** A copy of the install only root can read, and a config directory anyone can. */
function privateInstall(): { install: string; conf: ReturnType<typeof tempDir> } {
  // As root's mktemp -d makes it: 0700. Hard links keep the copy quick (same file system).
  const install = mkdtempSync(join(tmpdir(), 'rm-install-'));
  const conf = tempDir();
  chmodSync(conf.dir, 0o755); // the config itself must stay readable by the user ringmaster becomes
  try {
    execFileSync('cp', ['-al', ...['bin', 'dist', 'node_modules', 'package.json'].map((n) => join(ROOT, n)), install]);
    chmodSync(install, 0o700);
  } catch (err) {
    rmSync(install, { recursive: true, force: true });
    conf.cleanup();
    throw err;
  }
  return { install, conf };
}

test('installed where only root can read (a 0700 directory), with user: nobody: reloads from INI to YAML and back, ctl and /metrics work', async () => {
  const { install, conf } = privateInstall();
  conf.write('c.ini', ini(1));
  // With no fd but stdio, as in a container: closing an inherited fd at start loads the FFI
  // before the drop, which once hid that nothing else did (bash: dash cannot name fds > 9).
  const bare = 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec "$@"';
  const init = startProcess(['bash', '-c', bare, 'bash', process.execPath, `${install}/bin/ringmaster`, '-c', conf.dir], { cwd: conf.dir });
  try {
    await init.waitStderr((s) => s.includes('dropped privileges') && s.includes('all watchers started'));
    // The workers a reload adds are spawned after ctl's answer: wait for them (bounded), and
    // say what the init logged when they do not come.
    const workers = async (want: number): Promise<number | undefined> => {
      let n: number | undefined;
      for (const end = Date.now() + 10_000; Date.now() < end; await sleep(100)) {
        const st = await ctl(init, ['status', '--json']);
        assert.equal(st.code, 0, st.stderr);
        n = (JSON.parse(st.stdout) as { watchers: Array<{ workers: Array<{ state: string }> }> }).watchers[0]?.workers.filter((w) => w.state === 'running').length;
        if (n === want) break;
      }
      assert.equal(n, want, `running workers; the init's log:\n${init.stderr()}`);
      return n;
    };
    const base = /http endpoint listening url=(http:\/\/\S+)/.exec(init.stderr())?.[1] as string;
    rmSync(`${conf.dir}/c.ini`);
    writeFileSync(`${conf.dir}/c.yaml`, yaml(2));
    const r1 = await ctl(init, ['reload']);
    assert.equal(r1.code, 0, r1.stdout + r1.stderr + init.stderr());
    // (the directory watch may have applied it first: then ctl's reload finds no change)
    await workers(2);
    rmSync(`${conf.dir}/c.yaml`);
    writeFileSync(`${conf.dir}/c.ini`, ini(3));
    const r2 = await ctl(init, ['reload']);
    assert.equal(r2.code, 0, r2.stdout + r2.stderr + init.stderr());
    await workers(3);
    const m = await get(`${base}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.body, /^ringmaster_watcher_processes\{watcher="w"\} 3$/m);
    assert.doesNotMatch(init.stderr(), /internal error|ERR_MODULE_NOT_FOUND|EACCES|worker exited|FATAL/);
    process.kill(await init.initPid(), 'SIGTERM');
    assert.equal((await init.exit()).code, 0, init.stderr());
  } finally {
    await init.close();
    rmSync(install, { recursive: true, force: true });
    conf.cleanup();
  }
});

test('optional endpoints that cannot start are warnings: an HTTP port in use, a control socket that cannot be made', async () => {
  const busy = createServer().listen(0, '127.0.0.1');
  await once(busy, 'listening');
  const port = (busy.address() as { port: number }).port;
  const t = tempDir();
  const path = t.write('r.yaml', `ringmaster:\n  http_host: 127.0.0.1\n  http_port: ${port}\nwatchers:\n  w:\n    cmd: sleep 60\n`);
  const rm = startRingmaster(['-c', path], { env: { ...process.env, RINGMASTER_CONTROL_SOCKET: `${t.dir}/no/such/dir/ctl.sock` } });
  try {
    await rm.waitStderr((s) => s.includes('all watchers started'));
    assert.match(rm.stderr(), /http endpoint not available, running without \/livez, \/readyz and \/metrics: .*EADDRINUSE/);
    assert.match(rm.stderr(), /control socket not available/);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    busy.close();
    await rm.close();
    t.cleanup();
  }
});

test('installed where only root can read, with user: nobody: tasks run (execa loaded before the drop); a reload that adds the first task is refused, clearly', async () => {
  const { install, conf } = privateInstall();
  const withTasks = `ringmaster:\n  user: nobody\ntasks:\n  migrate:\n    cmd: sh -c "echo migrated"\n  cleanup:\n    cmd: sh -c "echo cleaned"\n    when: stop\nwatchers:\n  w:\n    cmd: sleep 60\n    depends_on: [migrate]\n`;
  const plain = `ringmaster:\n  user: nobody\nwatchers:\n  w:\n    cmd: sleep 60\n`;
  const run = (file: string) => startProcess([process.execPath, `${install}/bin/ringmaster`, '-c', file], { cwd: conf.dir });
  const a = run(conf.write('a.yaml', withTasks));
  try {
    await a.waitStderr((s) => s.includes('dropped privileges') && s.includes('all watchers started'));
    assert.match(a.stderr(), /task succeeded task=migrate/);
    process.kill(await a.initPid(), 'SIGTERM');
    assert.equal((await a.exit()).code, 0, a.stderr());
    assert.match(a.stderr(), /task succeeded task=cleanup/);
    assert.doesNotMatch(a.stderr(), /ERR_MODULE_NOT_FOUND|EACCES|task failed/);
  } finally {
    await a.close();
  }
  const path = conf.write('b.yaml', plain);
  const b = run(path);
  try {
    await b.waitStderr((s) => s.includes('dropped privileges') && s.includes('all watchers started'));
    writeFileSync(path, withTasks);
    const r = await ctl(b, ['reload']);
    // (the file watch may have tried it first: then ctl's reload is refused the same way)
    assert.notEqual(r.code, 0, r.stdout + r.stderr);
    assert.match(b.stderr(), /tasks cannot run: loading execa failed .*is the install readable by the user ringmaster runs as\?/);
    const st = await ctl(b, ['status', '--json']);
    assert.equal((JSON.parse(st.stdout) as { watchers: Array<{ phase: string }> }).watchers[0]?.phase, 'running');
    process.kill(await b.initPid(), 'SIGTERM');
    assert.equal((await b.exit()).code, 0, b.stderr());
  } finally {
    await b.close();
    rmSync(install, { recursive: true, force: true });
    conf.cleanup();
  }
});
