import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { startRingmaster, FIXTURES, sleep, until } from '../helpers/run.js';

test('when the main child exits, the processes it left get SIGTERM and ringmaster exits with its code', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-test-'));
  const log = join(dir, 'bg.log');
  const rm = startRingmaster(['-t', '60', '--', 'sh', '-c', `node "${FIXTURES}sigcatch.mjs" > "${log}" & while ! grep -q ready "${log}" 2>/dev/null; do sleep 0.05; done; exit 5`]);
  try {
    // A 60 s grace that is not slept out: the helper's 20 s bound fails the test if it is.
    const r = await rm.exit(20_000);
    assert.equal(r.code, 5, rm.stderr());
    assert.match(readFileSync(log, 'utf8'), /SIGTERM/);
  } finally {
    await rm.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a child that ignores SIGTERM is killed after the grace period (exit 137)', async () => {
  const rm = startRingmaster(['-t', '1', '--', 'sh', '-c', 'trap "" TERM; echo up; while :; do sleep 0.1; done']);
  try {
    await rm.waitStdout((s) => s.includes('up'));
    process.kill(await rm.initPid(), 'SIGTERM');
    const r = await rm.exit();
    assert.equal(r.code, 137, rm.stderr());
    assert.match(rm.stderr(), /grace period over/);
  } finally {
    await rm.close();
  }
});

test('shutdown ends as soon as the child is gone, not after the grace period', async () => {
  const rm = startRingmaster(['-t', '300', '--', 'sleep', '300']);
  try {
    const init = await rm.initPid();
    await sleep(200);
    process.kill(init, 'SIGTERM');
    const r = await rm.exit(15_000);
    assert.equal(r.code, 143);
  } finally {
    await rm.close();
  }
});

test('stdin passes through to the child', async () => {
  const rm = startRingmaster(['sh'], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    rm.proc.stdin?.end('echo from-stdin; exit 3\n');
    const r = await rm.exit();
    assert.equal(r.code, 3);
    assert.match(rm.stdout(), /from-stdin/);
  } finally {
    await rm.close();
  }
});

test("the child keeps the invocation's cwd while the init moves to /", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-cwd-'));
  const rm = startRingmaster(['--', 'sh', '-c', 'pwd; exec sleep 30'], { cwd: dir });
  try {
    await rm.waitStdout((s) => s.includes(dir));
    const init = await rm.initPid();
    // the init leaves the directory once its child runs: wait for it (bounded), a loaded machine is slow
    await until(() => (readlinkSync(`/proc/${init}/cwd`) === '/' ? true : undefined), 10_000, () => `the init's cwd to be /, it is ${readlinkSync(`/proc/${init}/cwd`)}`);
    process.kill(init, 'SIGTERM');
    await rm.exit();
  } finally {
    await rm.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an inherited fd is handed to the child at the same number and closed in the init', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-fd-'));
  const file = join(dir, 'inherited');
  writeFileSync(file, '');
  const fd = openSync(file, 'r');
  const rm = startRingmaster(['--', 'sh', '-c', 'readlink /proc/$$/fd/5; exec sleep 30'], { stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', fd] });
  closeSync(fd);
  try {
    await rm.waitStdout((s) => s.includes(file));
    const init = await rm.initPid();
    const held = (): string[] =>
      readdirSync(`/proc/${init}/fd`).map((f) => {
        try {
          return readlinkSync(`/proc/${init}/fd/${f}`);
        } catch {
          return '';
        }
      });
    // closed once the child runs: wait for it (bounded), a loaded machine is slow
    await until(() => (held().includes(file) ? undefined : true), 10_000, () => `the init to close the inherited fd: ${held().join(' ')}`);
    process.kill(init, 'SIGTERM');
    await rm.exit();
  } finally {
    await rm.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('socket activation: LISTEN_PID is rewritten to the child pid', async () => {
  const rm = startRingmaster(['--', 'sh', '-c', 'echo "pid=$$ listen_pid=$LISTEN_PID fds=$LISTEN_FDS"'], {
    env: { ...process.env, LISTEN_FDS: '1', LISTEN_PID: '1' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  try {
    const r = await rm.exit();
    assert.equal(r.code, 0, rm.stderr());
    const m = /pid=(\d+) listen_pid=(\d+) fds=1/.exec(rm.stdout());
    assert.ok(m, rm.stdout());
    assert.equal(m[1], m[2]);
  } finally {
    await rm.close();
  }
});

test('a SIGTERM that arrives while ringmaster is still loading is kept: it shuts down once started', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-test-'));
  const fifo = join(dir, 'ringmaster.yaml');
  execFileSync('mkfifo', [fifo]);
  const rm = startRingmaster(['-c', fifo]);
  try {
    const init = await rm.initPidNow();
    // Opening the FIFO for writing waits until ringmaster opens it to read its config: by
    // then it is past its first lines and still far from routing signals. The SIGTERM
    // lands while it is blocked in that read; then the config arrives.
    const config = 'watchers:\n  w:\n    cmd: sleep 60\n';
    const writer = spawn('sh', ['-c', 'exec 3>"$1"; kill -TERM "$2"; sleep 0.2; printf "%s" "$3" >&3', 'sh', fifo, String(init), config], {
      stdio: 'ignore',
    });
    const r = await rm.exit(20_000);
    assert.equal(r.code, 0, rm.stderr());
    assert.match(rm.stderr(), /shutting down signal=SIGTERM/);
    if (writer.exitCode === null) await new Promise((res) => writer.once('exit', res));
  } finally {
    await rm.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('when the main child exits, a descendant that ignores SIGTERM is killed once the grace is over; the child\'s code stays', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-test-'));
  const log = join(dir, 'bg.log');
  const rm = startRingmaster(['-t', '1', '--', 'sh', '-c', `sh -c 'trap "" TERM; echo up > "${log}"; while :; do sleep 0.1; done' & while ! grep -q up "${log}" 2>/dev/null; do sleep 0.05; done; exit 7`]);
  try {
    const r = await rm.exit(20_000);
    assert.equal(r.code, 7, rm.stderr());
    assert.match(rm.stderr(), /grace period over|SIGKILL/);
  } finally {
    await rm.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
