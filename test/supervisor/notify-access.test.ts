/**
 * Who may speak for a worker on its notify socket: the worker and its descendants only.
 * Everyone in the network namespace can read the socket's name from /proc/net/unix; here
 * an intruder in the init's PID namespace, running as nobody, sends READY=1, STOPPING=1 and
 * WATCHDOG=1 to three workers, and the test itself (outside that namespace) sends READY=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { startRingmaster, FIXTURES, childPids, procStatus, sleep, type Started } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { get } from '../helpers/http.js';
import { judgeSender, MAX_ANCESTRY, type ProcessTable } from '../../src/supervisor/notify-access.js';
import { sendDatagram } from '../../src/sys/socket.js';

function httpUrl(rm: Started): string {
  const m = /http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr());
  assert.ok(m, rm.stderr());
  return m[1] as string;
}

function metric(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

interface WorkerSocket {
  /** the worker's pid inside the init's PID namespace, as ringmaster logs it */
  pid: number;
  socket: string;
}

/** The notify socket of each worker of `init`, by watcher name (from the worker's environment). */
function notifySockets(init: number): Map<string, WorkerSocket> {
  const out = new Map<string, WorkerSocket>();
  for (const pid of childPids(init)) {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const socket = env.find((e) => e.startsWith('NOTIFY_SOCKET='))?.slice('NOTIFY_SOCKET='.length);
    const m = socket && /^@ringmaster\/[^/]+\/([^/]+)\.\d+\//.exec(socket);
    const nspid = Number(procStatus(pid).get('NSpid')?.split(/\s+/).pop());
    if (m) out.set(m[1] as string, { pid: nspid, socket: socket as string });
  }
  return out;
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Run fixtures/notify-send.mjs inside the PID namespace of `init`, as nobody: not a descendant of any worker. */
function intruder(init: number, args: string[], env: NodeJS.ProcessEnv): { proc: ChildProcess; out: () => string } {
  const proc = spawn(
    'nsenter',
    ['--target', String(init), '--pid', '--mount', '--', 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, `${FIXTURES}notify-send.mjs`, ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { proc, out: () => out };
}

async function end(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGKILL');
  await once(p, 'exit');
}

test('a process that is not a worker or its descendant cannot make a worker ready, unready or alive: dropped, logged once, counted', async () => {
  const t = tempDir();
  const yaml = `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
watchers:
  quiet:
    cmd: node ${FIXTURES}notify-worker.mjs
    ready: notify timeout=120
    env:
      NOTIFY_NEVER: "1"
  served:
    cmd: node ${FIXTURES}notify-worker.mjs
    ready: notify
    env:
      NOTIFY_DELAY_MS: "50"
  hung:
    cmd: node ${FIXTURES}notify-worker.mjs
    watchdog_sec: 3
    graceful_timeout: 1
    env:
      NOTIFY_NEVER: "1"
      WATCHDOG_STOP_MS: "0"
`;
  const rm = startRingmaster(['-c', t.write('n.yaml', yaml)]);
  let bad: ReturnType<typeof intruder> | undefined;
  try {
    await rm.waitStderr((s) => s.includes('worker ready watcher=served') && (s.match(/worker started/g) ?? []).length >= 3);
    const init = await rm.initPid();
    const socks = await until('three notify sockets', () => {
      const m = notifySockets(init);
      return m.size === 3 ? m : undefined;
    });
    const at = (name: string) => socks.get(name) as WorkerSocket;
    // Every 200 ms: READY=1 to quiet, STOPPING=1 to served, WATCHDOG=1 to whichever hung
    // worker runs (its socket looked up in /proc/net/unix, as an intruder finds it).
    const hungPrefix = `${/^@ringmaster\/[^/]+\//.exec(at('hung').socket)?.[0] as string}hung.1/*`;
    bad = intruder(init, [at('quiet').socket, 'READY=1', at('served').socket, 'STOPPING=1', hungPrefix, 'WATCHDOG=1'], {
      SEND_EVERY_MS: '200',
      SEND_FOR_MS: '60000',
    });
    const sending = bad;
    await until('the intruder to send', () => (/sent=[1-9]/.test(sending.out()) ? true : undefined));
    // From outside the init's PID namespace (the kernel gives its pid as 0): dropped too.
    sendDatagram(at('quiet').socket, 'READY=1');
    // The hung worker of now is restarted by its watchdog although WATCHDOG=1 keeps coming for it.
    const restarted = (pid: number) => new RegExp(`watchdog: no WATCHDOG=1 in time.*watcher=hung wid=1 pid=${pid}\\b`).test(rm.stderr());
    const hung = await until('the hung worker', () => {
      const pid = notifySockets(init).get('hung')?.pid;
      return pid !== undefined && !restarted(pid) ? pid : undefined;
    });
    await until('the watchdog to restart hung while the intruder pings it', () => (restarted(hung) ? true : undefined));
    const base = httpUrl(rm);
    const readyz = await get(`${base}/readyz`);
    assert.equal(readyz.status, 503, readyz.body);
    const body = JSON.parse(readyz.body) as { watchers: Record<string, { ready: number }> };
    assert.equal(body.watchers.quiet?.ready, 0, readyz.body);
    assert.equal(body.watchers.served?.ready, 1, readyz.body);

    // A flood: 300 more for quiet, counted one by one, logged once.
    const flood = intruder(init, [at('quiet').socket, 'READY=1'], { SEND_COUNT: '300' });
    try {
      await until('the flood to be sent', () => (/sent=300\b/.test(flood.out()) ? true : undefined));
    } finally {
      await end(flood.proc);
    }
    const m = await until('the flood to be counted', async () => {
      const text = (await get(`${base}/metrics`)).body;
      return (metric(text, 'ringmaster_notify_rejected_total{watcher="quiet"}') ?? 0) >= 301 ? text : undefined;
    });
    assert.ok((metric(m, 'ringmaster_notify_rejected_total{watcher="served"}') ?? 0) >= 1, m);
    assert.ok((metric(m, 'ringmaster_notify_rejected_total{watcher="hung"}') ?? 0) >= 1, m);
    const err = rm.stderr();
    assert.doesNotMatch(err, /worker ready watcher=quiet|worker is stopping/);
    assert.match(err, /notify messages dropped: the sender is not the worker or one of its descendants watcher=served .*sender_uid=65534/);
    // Hundreds dropped for quiet, at most one line per 10 s for its worker.
    const lines = (err.match(/notify messages dropped: .*watcher=quiet /g) ?? []).length;
    assert.ok(lines >= 1 && lines <= 3, `${lines} lines for quiet:\n${err}`);

    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    if (bad) await end(bad.proc);
    await rm.close();
    t.cleanup();
  }
});

test("a worker's descendants speak for it: one reparented to the init in the worker's session, one with a session of its own", async () => {
  const t = tempDir();
  const send = `node ${FIXTURES}notify-send.mjs READY=1`;
  const yaml = `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
watchers:
  orphan:
    cmd: sh -c '(WAIT_ORPHANED=1 ${send} &); exec sleep 60'
    ready: notify timeout=30
  daemon:
    cmd: sh -c 'setsid ${send} & exec sleep 60'
    ready: notify timeout=30
`;
  const rm = startRingmaster(['-c', t.write('d.yaml', yaml)]);
  try {
    await rm.waitStderr((s) => s.includes('worker ready watcher=orphan') && s.includes('worker ready watcher=daemon'));
    const init = await rm.initPid();
    // As the senders saw themselves: the orphan's parent is the init, the daemon leads a session.
    const seen = await until('both senders to print', () => {
      const lines = [...rm.stdout().matchAll(/notify-send pid=(\d+) ppid=(\d+) sid=(\d+)/g)].map((m) => m.slice(1).map(Number));
      return lines.length === 2 ? lines : undefined;
    });
    assert.ok(seen.some(([, ppid]) => ppid === 1), rm.stdout());
    assert.ok(seen.some(([pid, , sid]) => pid === sid), rm.stdout());
    const m = (await get(`${httpUrl(rm)}/metrics`)).body;
    assert.equal(metric(m, 'ringmaster_notify_rejected_total{watcher="orphan"}'), 0, m);
    assert.equal(metric(m, 'ringmaster_notify_rejected_total{watcher="daemon"}'), 0, m);
    assert.doesNotMatch(rm.stderr(), /notify messages dropped/);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('a datagram carrying file descriptors leaves none open in the init; one too long is dropped; a helper that waits for its message to be read (BARRIER=1) counts', { skip: spawnSync('python3', ['-c', 'import socket; socket.send_fds']).status !== 0 && 'no python3 with socket.send_fds' }, async () => {
  const t = tempDir();
  const yaml = `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
watchers:
  w:
    cmd: node ${FIXTURES}notify-send.mjs READY=1
    ready: notify timeout=60
    env:
      SEND_PAD: "5000"
  barrier:
    cmd: sh -c 'python3 ${FIXTURES}notify-barrier.py; exec sleep 60'
    ready: notify timeout=60
`;
  const rm = startRingmaster(['-c', t.write('f.yaml', yaml)]);
  try {
    // the endpoints are up too (without a privilege drop they start after the first workers): their fds are in the count
    await rm.waitStderr((s) => s.includes('worker started') && s.includes('http endpoint listening') && s.includes('control socket listening'));
    const init = await rm.initPid();
    const { socket } = await until('the notify socket', () => notifySockets(init).get('w'));
    const fds = (): number => spawnSync('ls', [`/proc/${init}/fd`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
    const before = fds();
    // 200 datagrams with 3 fds each, the way systemd-notify's BARRIER=1 passes one.
    const py = `import socket, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect("\\0" + ${JSON.stringify(socket.slice(1))})
r, w = os.pipe()
for _ in range(200): socket.send_fds(s, [b"READY=1"], [r, w, r])
print("sent")`;
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    await until('the 200 to be counted', async () => {
      const text = (await get(`${httpUrl(rm)}/metrics`)).body;
      return (metric(text, 'ringmaster_notify_rejected_total{watcher="w"}') ?? 0) >= 200 ? true : undefined;
    });
    assert.ok(fds() <= before + 3, `the init had ${before} fds, now ${fds()}`);
    assert.match(rm.stderr(), /notify messages dropped: (the message is longer than 4096 bytes|the sender is outside the PID namespace)/);
    // The worker's own READY=1 came in a 5 kB datagram: cut by the kernel, so ignored.
    assert.match(rm.stdout(), /notify-send .*sent=1/);
    assert.doesNotMatch(rm.stderr(), /worker ready watcher=w /);
    // The helper had exited by the time this runs, but was there when its READY=1 was read.
    await rm.waitStderr((s) => s.includes('worker ready watcher=barrier'));
    await rm.waitStdout((s) => s.includes('barrier passed'));
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('judgeSender: the worker, its session, its ancestry; not an orphan that left the session, pid 0, a gone sender, a chain too deep', () => {
  // pid -> [parent, session]
  const table = (rows: Record<number, [number, number]>, self = 1): ProcessTable => ({
    sessionOf: (pid) => rows[pid]?.[1],
    parentOf: (pid) => rows[pid]?.[0],
    self,
  });
  const procs = table({
    100: [1, 100], // the worker, leading its session
    101: [100, 100], // its child
    102: [1, 100], // a grandchild whose parent died: reparented to the init, still in the session
    103: [100, 103], // a child with a session of its own (a daemon)
    104: [103, 103], // that daemon's child
    105: [1, 105], // a daemon whose parent died: nothing links it to the worker
    200: [1, 200], // another worker
    300: [0, 0], // a process entered from outside (nsenter), parent not visible
  });
  const cases: Array<[number, boolean, string]> = [
    [100, true, 'self'],
    [101, true, 'session'],
    [102, true, 'session'],
    [103, true, 'ancestry'],
    [104, true, 'ancestry'],
    [105, false, 'not the worker or one of its descendants'],
    [200, false, 'not the worker or one of its descendants'],
    [300, false, 'not the worker or one of its descendants'],
    [0, false, 'outside the PID namespace'],
    [999, false, 'exited before'],
  ];
  for (const [pid, ok, how] of cases) {
    const v = judgeSender(pid, 100, procs);
    assert.equal(v.ok, ok, `pid ${pid}`);
    assert.ok(v.ok ? v.via === how : v.why.includes(how), `pid ${pid}: ${JSON.stringify(v)}`);
  }
  assert.equal(judgeSender(100, undefined, procs).ok, false, 'no worker pid: nobody speaks for it');

  // A chain of setsid'd processes deeper than MAX_ANCESTRY below the worker is refused
  // after MAX_ANCESTRY look-ups; one just within reach is accepted.
  const rows: Record<number, [number, number]> = { 100: [1, 100] };
  for (let i = 1; i <= MAX_ANCESTRY + 1; i++) rows[1000 + i] = [i === 1 ? 100 : 1000 + i - 1, 1000 + i];
  let lookups = 0;
  const counting: ProcessTable = { ...table(rows), parentOf: (pid) => (lookups++, rows[pid]?.[0]) };
  assert.equal(judgeSender(1000 + MAX_ANCESTRY, 100, counting).ok, true);
  lookups = 0;
  assert.equal(judgeSender(1000 + MAX_ANCESTRY + 1, 100, counting).ok, false);
  assert.equal(lookups, MAX_ANCESTRY);
  // The walk stops at the init itself when it is not PID 1.
  assert.equal(judgeSender(7, 100, table({ 7: [50, 7], 50: [40, 50] }, 50)).ok, false);
});
