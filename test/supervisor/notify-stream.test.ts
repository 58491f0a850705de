/**
 * The stream half of a notify channel against hostile and broken input, on real sockets:
 * garbage, lines far over the limit, floods, more connections than allowed, connections
 * that say nothing, end half-way or come before the worker's pid is known, and strangers.
 * The test process is the init here: a crash or a stall of the channel fails the test. The
 * process table is a fake, so the test process can be the worker or a stranger.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { NotifyChannel, type NotifyMessage } from '../../src/supervisor/notify.js';
import { MAX_CONNECTIONS, MAX_QUEUED, MAX_UNJUDGED } from '../../src/supervisor/notify-stream.js';
import { nodeSocketPath, padToSunPath } from '../../src/sys/sun-path.js';
import type { ProcessTable } from '../../src/supervisor/notify-access.js';
import { sendStream } from '../../src/worker/notify-stream.js';
import { notify } from '../../src/worker/index.js';
import { bindAndListen, closeSockets, SOCK_STREAM } from '../../src/sys/socket.js';
import { sleep } from '../helpers/run.js';

/** Every process is in a session of its own, parented to PID 1: only the worker itself passes. */
const procs: ProcessTable = { sessionOf: (pid) => pid, parentOf: () => 1, self: 1 };
/** A pid that is not the test process: the test is then a stranger to the worker. */
const OTHER = process.pid + 1_000_000;

function connect(ch: NotifyChannel): net.Socket {
  const s = net.connect(nodeSocketPath(ch.streamPath));
  s.on('error', () => {});
  // read (the channel's "OK"), so that the channel closing it is seen
  s.resume();
  return s;
}

async function connected(s: net.Socket): Promise<void> {
  if (!s.connecting) return;
  await once(s, 'connect');
}

const closed = (s: net.Socket): Promise<void> => new Promise((resolve) => (s.closed ? resolve() : s.once('close', () => resolve())));

/** Drain `ch` as the worker `pid` until `done` says so; every message and the rejected count. */
async function drainUntil(ch: NotifyChannel, pid: number, done: (got: { messages: NotifyMessage[]; rejected: number; reports: string[] }) => boolean, ms = 10_000) {
  const got = { messages: [] as NotifyMessage[], rejected: 0, reports: [] as string[], drains: 0, most: 0 };
  const end = Date.now() + ms;
  let now = 0;
  while (!done(got)) {
    if (Date.now() > end) throw new Error(`timed out: ${JSON.stringify({ ...got, messages: got.messages.length })}`);
    await sleep(5);
    // a clock that moves 20 s a drain: every drain may report
    const d = ch.drain(pid, (now += 20_000));
    got.drains++;
    got.most = Math.max(got.most, d.messages.length);
    got.messages.push(...d.messages);
    got.rejected += d.rejected;
    if (d.report) got.reports.push(d.report.why);
  }
  return got;
}

test('the worker notifies on the stream: lines in any chunks, on the connection it keeps', async () => {
  const ch = NotifyChannel.create('stream-ok', procs);
  try {
    ch.attach(process.pid);
    assert.equal(await sendStream(ch.streamPath, 'STATUS=starting'), true);
    assert.equal(await sendStream(ch.streamPath, 'READY=1\nSTATUS=up'), true);
    // byte by byte: a line counts once its newline comes
    const s = connect(ch);
    await connected(s);
    for (const b of Buffer.from('WATCHDOG=1\nMAINPID=42\n')) {
      s.write(Buffer.of(b));
      await sleep(1);
    }
    const got = await drainUntil(ch, process.pid, (g) => g.messages.length >= 5);
    assert.deepEqual(
      got.messages.map((m) => [m.ready, m.status, m.watchdog, m.mainPid]),
      [
        [false, 'starting', false, undefined],
        [true, undefined, false, undefined],
        [false, 'up', false, undefined],
        [false, undefined, true, undefined],
        [false, undefined, false, 42],
      ],
    );
    assert.equal(got.rejected, 0);
    s.destroy();
  } finally {
    ch.close();
  }
});

test('a stranger is closed unread, counted and reported, and its sender told so (false)', async () => {
  const ch = NotifyChannel.create('stream-stranger', procs);
  try {
    ch.attach(OTHER);
    const s = connect(ch);
    s.write('READY=1\n');
    await closed(s);
    const got = await drainUntil(ch, OTHER, (g) => g.rejected >= 1);
    assert.equal(got.messages.length, 0, 'nothing a stranger wrote was read');
    assert.match(got.reports.join(), /not the worker or one of its descendants/);
    // sendStream falls back to nothing here: the stream refused it
    assert.equal(await sendStream(ch.streamPath, 'READY=1'), false);
  } finally {
    ch.close();
  }
});

test('hostile input from the worker itself: garbage, a huge line, a line with no end; the good lines around them still count', async () => {
  const ch = NotifyChannel.create('stream-garbage', procs);
  try {
    ch.attach(process.pid);
    const s = connect(ch);
    await connected(s);
    const garbage = Buffer.alloc(200_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) % 251; // bytes of every value, newlines included
    s.write(garbage);
    s.write(`\nSTATUS=before\n${'x'.repeat(3_000_000)}\nREADY=1\n`);
    const got = await drainUntil(ch, process.pid, (g) => g.messages.some((m) => m.ready));
    assert.ok(got.messages.some((m) => m.status === 'before'));
    assert.ok(got.reports.some((r) => /longer than 4096 bytes/.test(r)), got.reports.join());
    assert.equal(got.rejected, 0, 'a long line is dropped, the connection is not refused');
    // a line that never ends: dropped as it grows, the connection stays usable after its newline
    s.write('STATUS=');
    for (let i = 0; i < 50; i++) s.write('y'.repeat(65_536));
    s.write('\nSTOPPING=1\n');
    const after = await drainUntil(ch, process.pid, (g) => g.messages.some((m) => m.stopping));
    assert.ok(!after.messages.some((m) => (m.status ?? '').startsWith('y')), 'nothing of the endless line got through');
    s.destroy();
  } finally {
    ch.close();
  }
});

test('a flood is read as fast as it is drained: at most MAX_QUEUED lines a drain, none lost, in order', async () => {
  const ch = NotifyChannel.create('stream-flood', procs);
  try {
    ch.attach(process.pid);
    const s = connect(ch);
    await connected(s);
    const n = 5_000;
    let text = '';
    for (let i = 0; i < n; i++) text += `STATUS=${i}\n`;
    s.write(text);
    const got = await drainUntil(ch, process.pid, (g) => g.messages.length >= n, 60_000);
    assert.ok(got.most <= MAX_QUEUED, `one drain gave ${got.most} lines`);
    assert.deepEqual(
      got.messages.map((m) => Number(m.status)),
      Array.from({ length: n }, (_, i) => i),
    );
    s.destroy();
  } finally {
    ch.close();
  }
});

test('connections: at most MAX_CONNECTIONS at once, silent and half-closed ones cost nothing, all closed with the channel', async () => {
  const ch = NotifyChannel.create('stream-many', procs);
  try {
    ch.attach(process.pid);
    // one after the other: all at once, the kernel's queue of 16 unaccepted ones refuses the rest (EAGAIN)
    const many: net.Socket[] = [];
    for (let i = 0; i < MAX_CONNECTIONS + 24; i++) {
      const s = connect(ch);
      await connected(s);
      many.push(s);
      await sleep(1);
    }
    // the ones over the limit are closed by the channel
    const got = await drainUntil(ch, process.pid, (g) => g.rejected >= 24);
    assert.equal(got.rejected, 24);
    assert.match(got.reports.join(), new RegExp(`more than ${MAX_CONNECTIONS} notify connections`));
    await sleep(50);
    const open = many.filter((s) => !s.closed);
    assert.equal(open.length, MAX_CONNECTIONS);
    // half-closed: the end of a partial line is dropped, the channel closes its side
    const half = open[0] as net.Socket;
    half.end('READY=');
    await closed(half);
    // the rest stay silent; a line on the last one still counts
    (open[MAX_CONNECTIONS - 1] as net.Socket).write('STATUS=still\n');
    const more = await drainUntil(ch, process.pid, (g) => g.messages.length >= 1);
    assert.deepEqual(
      more.messages.map((m) => [m.ready, m.status]),
      [[false, 'still']],
    );
    ch.close();
    await Promise.all(open.map(closed));
    const late = connect(ch);
    await assert.rejects(once(late, 'connect'), /ECONNREFUSED/);
  } finally {
    ch.close();
  }
});

test('before the worker has a pid: connections wait unread, at most MAX_UNJUDGED; then they are judged', async () => {
  const ch = NotifyChannel.create('stream-early', procs);
  try {
    const early = Array.from({ length: MAX_UNJUDGED + 8 }, () => connect(ch));
    for (const s of early) s.write('READY=1\n');
    await sleep(100);
    // nothing read yet
    assert.equal(ch.drain(undefined, 0).messages.length, 0);
    const waiting = early.filter((s) => !s.closed);
    assert.equal(waiting.length, MAX_UNJUDGED);
    ch.attach(process.pid);
    const got = await drainUntil(ch, process.pid, (g) => g.messages.length >= MAX_UNJUDGED);
    assert.ok(got.messages.every((m) => m.ready));
    for (const s of early) s.destroy();
  } finally {
    ch.close();
  }
});

test('a listener that never takes the connection: the message is not held for ever, and nothing throws', async () => {
  // listening in the kernel, never accepted: no "OK" ever comes
  const path = `@ringmaster-test/never/${process.pid}`;
  const fd = bindAndListen({ family: 'unix', path: padToSunPath(path) }, { type: SOCK_STREAM, backlog: 4 });
  try {
    // no NOTIFY_SOCKET to fall back to: false, once the wait for "OK" is over
    assert.equal(await notify('READY=1', { RINGMASTER_NOTIFY_STREAM: path }), false);
    // nobody at all there
    assert.equal(await notify('READY=1', { RINGMASTER_NOTIFY_STREAM: '@ringmaster-test/nobody' }), false);
  } finally {
    closeSockets([fd]);
  }
});
