/**
 * `ringmaster ctl events` of a test's ringmaster, collected: the tests assert on the init's
 * events (typed data) rather than on its log text. Every ctl started here is ended by pid
 * in close().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { RingmasterEvent } from '../../src/supervisor/events.js';
import { BIN, type Started } from './run.js';

/** What `ctl events` prints when it streams: the stream is up, every event after it arrives. */
const STREAMING = 'streaming events from';

export interface CtlEvents {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** resolves when `predicate(stdout)` holds, rejects after `ms` */
  waitStdout(predicate: (s: string) => boolean, ms?: number): Promise<string>;
  /** resolves with ctl's exit; rejects (and kills it) after `ms` */
  exit(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL it if it is still running. */
  close(): Promise<void>;
}

/** Start `ringmaster ctl events ARGS` against `rm`; resolves once it streams. */
export async function startCtlEvents(rm: Started, args: string[] = [], ms = 10_000): Promise<CtlEvents> {
  const env = { ...process.env, RINGMASTER_CONTROL_SOCKET: rm.controlSocket };
  const proc = spawn(process.execPath, [BIN, 'ctl', 'events', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const changed = new Set<() => void>();
  const poke = (): void => {
    for (const f of changed) f();
  };
  proc.stdout.setEncoding('utf8').on('data', (d: string) => ((out += d), poke()));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => ((err += d), poke()));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitP = once(proc, 'exit').then(([code, signal]) => (exited = { code: code as number | null, signal: signal as NodeJS.Signals | null }));
  void exitP.then(poke);
  /** resolves when `ok()` holds, rejects with `what()` when ctl exits first or after `ms` */
  const until = (ok: () => boolean, ms: number, what: () => string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (ok()) done(resolve);
        else if (exited) done(() => reject(new Error(`ctl events exited (${JSON.stringify(exited)}) before ${what()}`)));
      };
      const t = setTimeout(() => done(() => reject(new Error(`timed out after ${ms} ms waiting for ${what()}`))), ms);
      const done = (f: () => void): void => {
        clearTimeout(t);
        changed.delete(check);
        f();
      };
      changed.add(check);
      check();
    });
  const c: CtlEvents = {
    proc,
    stdout: () => out,
    stderr: () => err,
    waitStdout: async (p, ms = 10_000) => {
      await until(() => p(out), ms, () => `a stdout condition; stdout=${JSON.stringify(out)} stderr=${JSON.stringify(err)}`);
      return out;
    },
    exit: async (ms = 20_000) => {
      const t = setTimeout(() => proc.kill('SIGKILL'), ms);
      try {
        const r = await exitP;
        if (r.signal === 'SIGKILL') throw new Error(`ctl events did not exit within ${ms} ms; stderr=${JSON.stringify(err)}`);
        return r;
      } finally {
        clearTimeout(t);
      }
    },
    close: async () => {
      if (!exited) proc.kill('SIGKILL');
      await exitP;
    },
  };
  try {
    await until(() => err.includes(STREAMING), ms, () => `ctl events to stream; stderr=${JSON.stringify(err)} init's stderr=${JSON.stringify(rm.stderr())}`);
  } catch (e) {
    await c.close();
    throw e;
  }
  return c;
}

export type EventOf<T extends RingmasterEvent['type']> = Extract<RingmasterEvent, { type: T }>;

export interface EventLog {
  /** every event seen so far, in order */
  readonly events: RingmasterEvent[];
  /**
   * The first event (seen already or to come) that matches, after the event with seq
   * `after` if given. Rejects after `ms`, or when the stream ends first, listing what came.
   */
  waitFor<T extends RingmasterEvent['type']>(type: T, match?: (e: EventOf<T>) => boolean, opts?: { after?: number; ms?: number }): Promise<EventOf<T>>;
  /** the events of `type` (matching `match`) seen so far */
  all<T extends RingmasterEvent['type']>(type: T, match?: (e: EventOf<T>) => boolean): Array<EventOf<T>>;
  ctl: CtlEvents;
  close(): Promise<void>;
}

/**
 * `collectEvents` once `ready` resolved (the init is up); when either fails, `rm` is closed
 * before the error goes on, so that a test that fails there leaves no init behind.
 */
export async function eventsAfter(rm: Started, ready: () => Promise<unknown>): Promise<EventLog> {
  try {
    await ready();
    return await collectEvents(rm);
  } catch (err) {
    await rm.close();
    throw err;
  }
}

/** Stream `ctl events --json` of `rm`; resolves once the stream is up. */
export async function collectEvents(rm: Started): Promise<EventLog> {
  const ctl = await startCtlEvents(rm, ['--json']);
  // whole lines only: the last one may be on its way
  const parsed = (): RingmasterEvent[] => {
    const out = ctl.stdout();
    return out
      .slice(0, out.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as RingmasterEvent);
  };
  const find = <T extends RingmasterEvent['type']>(type: T, match: (e: EventOf<T>) => boolean, after: number): EventOf<T> | undefined =>
    parsed().find((e): e is EventOf<T> => e.type === type && e.seq > after && match(e as EventOf<T>));
  const log: EventLog = {
    get events() {
      return parsed();
    },
    async waitFor(type, match = () => true, opts = {}) {
      const after = opts.after ?? 0;
      await ctl.waitStdout(() => find(type, match, after) !== undefined, opts.ms ?? 15_000);
      return find(type, match, after) as EventOf<typeof type>;
    },
    all: (type, match = () => true) => parsed().filter((e): e is EventOf<typeof type> => e.type === type && match(e as EventOf<typeof type>)),
    ctl,
    close: () => ctl.close(),
  };
  return log;
}
