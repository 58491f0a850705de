/**
 * Run ringmaster (or anything) as PID 1 of a new PID namespace, or plainly, and talk to it.
 * Every process started here is ended by pid in `close()`; `unshare --kill-child` makes
 * the namespace die with the unshare process, so nothing outlives a test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { tmpdir } from 'node:os';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = `${ROOT}bin/ringmaster`;
export const FIXTURES = `${ROOT}fixtures/`;

export interface Started {
  proc: ChildProcess;
  /** the control socket this ringmaster was given (RINGMASTER_CONTROL_SOCKET) */
  controlSocket: string;
  stdout(): string;
  stderr(): string;
  /** resolves when `predicate(stdout)` holds, rejects after `ms` */
  waitStdout(predicate: (s: string) => boolean, ms?: number): Promise<string>;
  waitStderr(predicate: (s: string) => boolean, ms?: number): Promise<string>;
  /** host pid of the init (PID 1 inside the namespace; the process itself when not namespaced), once it has started its child */
  initPid(ms?: number): Promise<number>;
  /** host pid of the init, without waiting for its child (when a log line already shows it is up) */
  initPidNow(ms?: number): Promise<number>;
  exit(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  close(): Promise<void>;
}

export interface StartOptions {
  pid1?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdio?: Array<'pipe' | 'ignore' | 'inherit' | number>;
}

/** Poll `fn` every 10 ms until it returns a value (not undefined); throws after `ms`, naming `what`. */
export async function until<T>(fn: () => T | undefined, ms: number, what: string | (() => string)): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Start `ringmaster ARGS` (as PID 1 of a new namespace by default). */
export function startRingmaster(args: readonly string[], opts: StartOptions = {}): Started {
  return startProcess([process.execPath, BIN, ...args], opts);
}

let controlSeq = 0;

export function startProcess(argv: readonly string[], opts: StartOptions = {}): Started {
  const pid1 = opts.pid1 ?? true;
  // Each ringmaster of the tests gets a control socket of its own: tests run in parallel.
  const env = { ...(opts.env ?? process.env) };
  const ownControl = env.RINGMASTER_CONTROL_SOCKET === undefined;
  if (ownControl) env.RINGMASTER_CONTROL_SOCKET = `${tmpdir()}/rm-test-ctl-${process.pid}-${++controlSeq}.sock`;
  const full = pid1 ? ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', ...argv] : [...argv];
  const proc = spawn(full[0] as string, full.slice(1), {
    env,
    cwd: opts.cwd ?? ROOT,
    stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitP = once(proc, 'exit').then(([code, signal]) => {
    exited = { code: code as number | null, signal: signal as NodeJS.Signals | null };
    return exited;
  });
  const started: Started = {
    proc,
    controlSocket: env.RINGMASTER_CONTROL_SOCKET as string,
    stdout: () => out,
    stderr: () => err,
    waitStdout: (p, ms = 10_000) => until(() => (p(out) ? out : undefined), ms, () => `stdout condition; stdout=${JSON.stringify(out)} stderr=${JSON.stringify(err)}`),
    waitStderr: (p, ms = 10_000) => until(() => (p(err) ? err : undefined), ms, () => `stderr condition; stderr=${JSON.stringify(err)}`),
    // The init has its signal listeners in place before it spawns its child: wait for
    // that child, or a signal sent during Node's start-up would be dropped (PID 1) or fatal.
    initPid: async (ms = 10_000) => {
      const init = pid1 ? await until(() => childrenOf(proc.pid as number)[0], ms, 'the namespace init') : (proc.pid as number);
      await until(() => (childrenOf(init).length > 0 ? true : undefined), ms, 'the init to start its child');
      return init;
    },
    initPidNow: async (ms = 10_000) =>
      pid1 ? until(() => childrenOf(proc.pid as number)[0], ms, 'the namespace init') : (proc.pid as number),
    exit: async (ms = 20_000) => {
      let timedOut = false;
      const t = setTimeout(() => {
        timedOut = true;
        proc.kill('SIGKILL');
      }, ms);
      try {
        const r = await exitP;
        if (timedOut) throw new Error(`did not exit within ${ms} ms; stdout=${JSON.stringify(out)} stderr=${JSON.stringify(err)}`);
        return r;
      } finally {
        clearTimeout(t);
      }
    },
    close: async () => {
      if (!exited) {
        // SIGKILL to a namespace's init ends the whole namespace. unshare --kill-child would
        // too, but that parent-death signal is cleared when the init changes its uid.
        const init = pid1 ? childrenOf(proc.pid as number)[0] : undefined;
        if (init !== undefined) {
          try {
            process.kill(init, 'SIGKILL');
          } catch {
            // gone
          }
        }
        proc.kill('SIGKILL');
        await exitP;
      }
      // a ringmaster killed outright leaves its control socket file behind
      if (ownControl) rmSync(env.RINGMASTER_CONTROL_SOCKET as string, { force: true });
    },
  };
  return started;
}

/** Parse /proc/PID/status into a map. */
export function procStatus(pid: number): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

export function childPids(pid: number): number[] {
  return childrenOf(pid);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run a short command to its end (SIGKILLed after `timeoutMs`) and collect its output. */
export function runCollect(
  argv: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ pid: number; code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0] as string, argv.slice(1), { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ pid: p.pid as number, code, out, err });
    });
  });
}
