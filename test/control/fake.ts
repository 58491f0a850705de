/**
 * A Controller that records its calls and answers from canned data, and a server on a
 * temp-dir socket around it; `close()` removes both.
 */
import { join } from 'node:path';
import { connect } from 'node:net';
import { once } from 'node:events';
import { ControlError, type Controller, type InitSnapshot } from '../../src/lifecycle/api.js';
import { EventBus, type EventListener } from '../../src/supervisor/events.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import { tempDir, type TempDir } from '../helpers/config.js';
import { snapshot as baseSnapshot, watcher, worker } from '../helpers/snapshot.js';

export const NOW = Date.parse('2025-01-01T12:00:00Z');

/** The canned snapshot the ctl tests print: a watcher with a failed rollout and one FATAL. */
export function snapshot(): InitSnapshot {
  const exits = { exited: 0, failed: 1, signaled: 0, oom: 0, spawn_failed: 0, stopped: 0 };
  return baseSnapshot({
    pid: 4242,
    version: '0.1.0',
    startedAt: NOW - 3_723_000,
    watchers: [
      watcher('web', {
        ready: 1,
        restarts: 3,
        exits,
        lastExit: { wid: 2, outcome: { kind: 'exited', code: 1 }, at: NOW - 65_000, reason: 'failed' },
        rollout: { state: 'failed', message: 'wid 3 not ready after 30s; old workers kept', at: NOW - 5_000 },
        workers: [
          { ...worker(1, 1001), startedAt: NOW - 3_600_000, statusText: 'serving on :8080' },
          { ...worker(2, 1002, false), startedAt: NOW - 65_000, readyFailed: true, statusText: 'warming \u001b[31mcache' },
        ],
      }),
      watcher('worker', {
        phase: 'fatal',
        desired: 1,
        running: 0,
        ready: 0,
        restarts: 6,
        exits,
        failuresInARow: 6,
        lastExit: { wid: 1, outcome: { kind: 'signaled', signal: 'SIGKILL', number: 9 }, at: NOW - 10_000, reason: 'signaled' },
        fatalReason: 'exited 6 times in a row within backoff_reset',
      }),
    ],
    sockets: [{ name: 'web', url: 'tcp://0.0.0.0:8080', family: 'inet', port: 8080, inode: 77, backlog: 511, so_reuseport: false }],
    zombiesReaped: 2,
    signalsForwarded: { SIGHUP: 1 },
    reloads: { success: 1, failure: 1, lastSuccessAt: NOW - 120_000, lastError: 'watchers.web.numprocesses must be an integer >= 0, got "two"' },
  });
}

export type Call = [method: string, ...args: unknown[]];

export class FakeController implements Controller {
  readonly calls: Call[] = [];
  readonly names = ['web', 'worker'];
  desired = 2;
  /** when set, restart() waits for it: a request that is still in flight */
  restartGate: Promise<void> | undefined;
  /** when set, every method throws this (a bug, not a ControlError) */
  bug: Error | undefined;

  #watcher(name: string): string {
    if (this.bug) throw this.bug;
    const found = this.names.find((n) => n.toLowerCase() === name.toLowerCase());
    if (!found) throw new ControlError('RM_CTL_UNKNOWN_WATCHER', `unknown watcher "${name}": the watchers are ${this.names.join(', ')}`);
    return found;
  }

  snapshot(): InitSnapshot {
    this.calls.push(['snapshot']);
    return snapshot();
  }
  async start(w: string): Promise<void> {
    this.calls.push(['start', this.#watcher(w)]);
  }
  async stop(w: string): Promise<void> {
    this.calls.push(['stop', this.#watcher(w)]);
  }
  async restart(w: string, options?: { rolling?: boolean; maxSurge?: number }): Promise<void> {
    this.calls.push(['restart', this.#watcher(w), options]);
    await this.restartGate;
  }
  async scale(w: string, n: number): Promise<number> {
    this.calls.push(['scale', this.#watcher(w), n]);
    return (this.desired = n);
  }
  async incr(w: string, delta: number): Promise<number> {
    this.calls.push(['incr', this.#watcher(w), delta]);
    return (this.desired = Math.max(0, this.desired + delta));
  }
  async signal(w: string, signal: string): Promise<number> {
    this.calls.push(['signal', this.#watcher(w), signal]);
    return 2;
  }
  async reload(): Promise<string> {
    this.calls.push(['reload']);
    return 'reloaded: 1 watcher changed (web, rolled), 0 added, 0 removed';
  }
  async quit(): Promise<void> {
    this.calls.push(['quit']);
  }
  /** emit on it to feed `events` subscribers */
  readonly bus = new EventBus();
  subscribe(listener: EventListener): () => void {
    this.calls.push(['subscribe']);
    return this.bus.subscribe(listener);
  }
}

export interface Harness {
  dir: string;
  path: string;
  controller: FakeController;
  server: ControlServer;
  logLines: string[];
  log: Logger;
  close(): Promise<void>;
}

export function tempSocketDir(): TempDir {
  return tempDir('rm-ctl-');
}

export function testLogger(lines: string[]): Logger {
  return createLogger({ verbosity: 4, write: (l) => lines.push(l) });
}

export async function startHarness(): Promise<Harness> {
  const t = tempSocketDir();
  const path = join(t.dir, 'ctl.sock');
  const controller = new FakeController();
  const logLines: string[] = [];
  const log = testLogger(logLines);
  try {
    const server = await startControlServer({ path, controller, log });
    return {
      dir: t.dir,
      path,
      controller,
      server,
      logLines,
      log,
      close: async () => {
        await server.close();
        t.cleanup();
      },
    };
  } catch (err) {
    t.cleanup();
    throw err;
  }
}

/** A raw connection: send lines as written, collect parsed answers. */
export async function rawConnection(path: string) {
  const sock = connect({ path });
  await once(sock, 'connect');
  const answers: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  let ended = false;
  sock.on('close', () => {
    ended = true;
    for (const w of waiters.splice(0)) w();
  });
  sock.setEncoding('utf8');
  sock.on('data', (s: string) => {
    buf += s;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      answers.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  return {
    answers,
    send(text: string): void {
      sock.write(text);
    },
    /** resolves once `n` answers have arrived */
    async waitFor(n: number): Promise<Array<Record<string, unknown>>> {
      while (answers.length < n) {
        if (ended) throw new Error(`connection closed after ${answers.length} of ${n} answers`);
        await new Promise<void>((r) => waiters.push(r));
      }
      return answers;
    },
    close(): void {
      sock.destroy();
    },
  };
}
