/**
 * Node workers under ringmaster notify on the stream channel (RINGMASTER_NOTIFY_STREAM) and
 * take the backlog from RINGMASTER_BACKLOGS, so none of them loads koffi: checked in each
 * worker's /proc/PID/maps, not by its size. Strangers on the stream are refused as on the
 * datagram socket, and hostile connections do not take the init down or leave it fds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { startRingmaster, FIXTURES, BIN, childPids, sleep, runCollect } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { get, httpUrl, portFromLog } from '../helpers/http.js';
import { NotifyChannel } from '../../src/supervisor/notify.js';
import { nodeSocketPath } from '../../src/sys/sun-path.js';

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

interface WorkerProc {
  pid: number;
  env: Map<string, string>;
  maps: string;
}

/** The workers of `init` by watcher name (RINGMASTER_WATCHER of each child's environment). */
function workers(init: number): Map<string, WorkerProc> {
  const out = new Map<string, WorkerProc>();
  for (const pid of childPids(init)) {
    try {
      const env = new Map(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as [string, string]));
      const name = env.get('RINGMASTER_WATCHER');
      if (name !== undefined) out.set(name, { pid, env, maps: readFileSync(`/proc/${pid}/maps`, 'utf8') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Send-Q of the LISTEN row of 127.0.0.1:port, as `ss -ltn` shows it (the backlog). */
function ssBacklog(port: number): number | undefined {
  const out = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
  const row = out.split('\n').find((l) => l.includes(`127.0.0.1:${port} `));
  return row === undefined ? undefined : Number(row.trim().split(/\s+/)[2]);
}

function metric(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

test('the preload, serve and ringmaster/worker become ready over the stream channel, keep the backlog, and never map koffi', async () => {
  const t = tempDir();
  const cfg = t.write(
    'rm.yaml',
    `sockets:
  pre: {host: 127.0.0.1, port: 0, backlog: 64}
  srv: {host: 127.0.0.1, port: 0, backlog: 48}
watchers:
  pre:
    cmd: node --import $(ringmaster.preload) ${FIXTURES}apps/listen-no-handler.mjs
    sockets: [pre]
    ready: notify
  srv:
    cmd: node ${BIN} serve ${FIXTURES}apps/handler.mjs
    sockets: [srv]
    ready: notify
  lib:
    cmd: node ${FIXTURES}notify-worker.mjs
    ready: notify
    watchdog_sec: 2
    env:
      NOTIFY_DELAY_MS: "50"
  daemon:
    cmd: sh -c 'SEND_STREAM=1 setsid node ${FIXTURES}notify-send.mjs READY=1 & exec sleep 60'
    ready: notify timeout=30
`,
  );
  const rm = startRingmaster(['-c', cfg]);
  try {
    await rm.waitStderr((s) => ['pre', 'srv', 'lib', 'daemon'].every((w) => s.includes(`worker ready watcher=${w}`)));
    const init = await rm.initPid();
    const all = workers(init);
    for (const name of ['pre', 'srv', 'lib']) {
      const w = all.get(name);
      assert.ok(w, `no ${name} worker`);
      assert.match(w.env.get('RINGMASTER_NOTIFY_STREAM') ?? '', /^@ringmaster\//);
      assert.equal(w.env.get('RINGMASTER_NOTIFY_STREAM'), w.env.get('NOTIFY_SOCKET'));
      assert.doesNotMatch(w.maps, /koffi/, `${name} (pid ${w.pid}) has koffi mapped`);
      // and it is a Node process that loaded ringmaster's worker modules
      assert.match(readFileSync(`/proc/${w.pid}/cmdline`, 'utf8'), /node/);
    }
    assert.equal(all.get('pre')?.env.get('RINGMASTER_BACKLOGS'), '64');
    assert.equal(all.get('srv')?.env.get('RINGMASTER_BACKLOGS'), '48');
    // the backlog the kernel has is the configured one, without TCP_INFO from the worker
    for (const [name, backlog] of [['pre', 64], ['srv', 48]] as const) {
      const port = portFromLog(rm.stderr(), name) as number;
      await until(`${name} to answer`, () => get(`http://127.0.0.1:${port}/`).then((r) => (r.status === 200 ? true : undefined), () => undefined));
      assert.equal(ssBacklog(port), backlog, name);
    }
    // the watchdog keeps the lib worker (pings over the same connection): not restarted
    await sleep(3_000);
    assert.doesNotMatch(rm.stderr(), /watchdog: no WATCHDOG=1 in time/);
    assert.doesNotMatch(rm.stderr(), /notify messages dropped/);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});

/** Run fixtures/notify-send.mjs inside the PID namespace of `init`, as nobody: not a descendant of any worker. */
function intruder(init: number, args: string[], env: NodeJS.ProcessEnv): { proc: ChildProcess; out: () => string } {
  const proc = spawn(
    'nsenter',
    ['--target', String(init), '--pid', '--mount', '--', 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, `${FIXTURES}notify-send.mjs`, ...args],
    { env: { ...process.env, SEND_STREAM: '1', ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
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

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

test('the stream channel of a real init: strangers refused and counted, garbage, huge lines, floods of connections and half-open ones leave it serving and holding no fd', async () => {
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
`;
  const rm = startRingmaster(['-c', t.write('n.yaml', yaml)]);
  let bad: ReturnType<typeof intruder> | undefined;
  const hostile: net.Socket[] = [];
  try {
    await rm.waitStderr((s) => s.includes('worker ready watcher=served') && (s.match(/worker started/g) ?? []).length >= 2);
    const init = await rm.initPid();
    const quiet = await until('the quiet worker', () => workers(init).get('quiet'));
    const stream = quiet.env.get('RINGMASTER_NOTIFY_STREAM') as string;
    const fdsBefore = openFds(init);

    // As nobody, inside the init's PID namespace, over the stream: refused (sent=0), every 100 ms.
    bad = intruder(init, [stream, 'READY=1'], { SEND_EVERY_MS: '100', SEND_FOR_MS: '60000' });
    const sending = bad;
    await until('the intruder to try', () => (/sent=0/.test(sending.out()) ? true : undefined));

    // From outside the namespace (the kernel gives the pid as 0): garbage, a huge line, a line
    // that never ends, connections that say nothing, that end half-way, 200 at once.
    const address = nodeSocketPath(stream);
    const open = (): net.Socket => {
      const s = net.connect(address);
      s.on('error', () => {});
      s.resume();
      hostile.push(s);
      return s;
    };
    open().write(Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) % 256)));
    open().write(`${'x'.repeat(2_000_000)}\nREADY=1\n`);
    open().write('STATUS=');
    open().end('READY=');
    open();
    for (let i = 0; i < 200; i++) open().write('READY=1\n');
    await until('the hostile connections to be closed', () => (hostile.every((s) => s.closed) ? true : undefined));

    const base = httpUrl(rm);
    const m = await until('the refusals to be counted', async () => {
      const text = (await get(`${base}/metrics`)).body;
      return (metric(text, 'ringmaster_notify_rejected_total{watcher="quiet"}') ?? 0) >= 20 ? text : undefined;
    });
    assert.ok(m);
    const readyz = JSON.parse((await get(`${base}/readyz`)).body) as { watchers: Record<string, { ready: number }> };
    assert.equal(readyz.watchers.quiet?.ready, 0);
    assert.equal(readyz.watchers.served?.ready, 1);
    const err = rm.stderr();
    assert.doesNotMatch(err, /worker ready watcher=quiet/);
    assert.match(err, /notify messages dropped: the sender is (not the worker or one of its descendants|outside the PID namespace of the init) watcher=quiet/);
    await end(bad.proc);
    bad = undefined;
    // nothing kept: the init holds the fds it held before
    await until('the init to hold no fd of them', () => (openFds(init) <= fdsBefore ? true : undefined));

    // and it still works: a restarted worker becomes ready over the stream
    const before = workers(init).get('served')?.pid;
    process.kill(before as number, 'SIGKILL');
    await until('served to be ready again', () => (workers(init).get('served')?.pid !== before && (rm.stderr().match(/worker ready watcher=served/g) ?? []).length >= 2 ? true : undefined));
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    for (const s of hostile) s.destroy();
    if (bad) await end(bad.proc);
    await rm.close();
    t.cleanup();
  }
});

test('a script that notifies and ends exits on its own: the connection holds the process only while a message is on its way', async () => {
  // every sender passes: its session is "the worker"
  const ch = NotifyChannel.create('stream-exit', { sessionOf: () => 4242, parentOf: () => undefined, self: 1 });
  try {
    ch.attach(4242);
    const env = { ...process.env, RINGMASTER_NOTIFY_STREAM: ch.streamPath, NOTIFY_SOCKET: '' };
    const awaited = "import { ready, status } from 'ringmaster/worker'; console.log(await ready(), await status('x'));";
    const dropped = "import { ready } from 'ringmaster/worker'; void ready('fire and forget');";
    const [a, b] = await Promise.all([awaited, dropped].map((code) => runCollect([process.execPath, '--input-type=module', '-e', code], { env, timeoutMs: 20_000 })));
    assert.equal(a?.code, 0, a?.err);
    assert.equal(a?.out.trim(), 'true true');
    assert.equal(b?.code, 0, b?.err);
    const got = ch.drain(4242, 0).messages;
    assert.equal(got.filter((m) => m.ready).length, 2, JSON.stringify(got));
    assert.deepEqual(got.map((m) => m.status).filter(Boolean).sort(), ['fire and forget', 'x']);
  } finally {
    ch.close();
  }
});
