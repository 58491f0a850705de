/**
 * Running one init as PID 1 of a new PID namespace, and cleaning up after it.
 *
 *   unshare --pid --fork --mount-proc <init argv...>
 *
 * unshare forks once and the fork execs the init, which is PID 1 inside; its host pid
 * is the only entry of /proc/<unshare>/task/<unshare>/children. Killing that pid with
 * SIGKILL tears the whole namespace down (the kernel kills every process in it), so a
 * run can always be ended without hunting for grandchildren.
 *
 * Every handle we start is tracked; killAll() ends the ones still alive, and only
 * those (by pid, after checking the pid still belongs to them).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Handles whose unshare has not exited yet. */
const live = new Set();

function readText(path) {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** Parent pid of `pid` from /proc/PID/stat, or undefined when it is gone. */
export function ppidOf(pid) {
  const s = readText(`/proc/${pid}/stat`);
  if (s === null) return undefined;
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(rest[1]);
}

/** Fields of /proc/PID/status as numbers (kB for the Vm and Rss lines), or null. */
export function statusOf(pid) {
  const s = readText(`/proc/${pid}/status`);
  if (s === null) return null;
  const out = {};
  for (const line of s.split('\n')) {
    const m = /^(\w+):\s+(-?\d+)/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
    const n = /^Name:\s+(.*)$/.exec(line);
    if (n) out.Name = n[1];
  }
  return out;
}

/** Direct children of `pid`, over all its threads. */
export function childrenOf(pid) {
  const out = [];
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tids) {
    const text = readText(`/proc/${pid}/task/${t}/children`) ?? '';
    for (const w of text.split(' ')) if (Number(w) > 0) out.push(Number(w));
  }
  return out;
}

/**
 * Start `argv` as PID 1 of a new PID namespace. Resolves once the init's host pid is
 * known and it has exec'd (its comm is no longer "unshare").
 * @returns {Promise<{unshare: import('node:child_process').ChildProcess, pid: number,
 *   exited: Promise<{code: number|null, signal: string|null}>, stdout: () => string, stderr: () => string}>}
 */
export async function startInit(argv, { timeoutMs = 5000, env = process.env } = {}) {
  const u = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  let err = '';
  u.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  u.stderr.setEncoding('utf8').on('data', (d) => (err = (err + d).slice(-4000)));
  const handle = {
    unshare: u,
    pid: 0,
    exitInfo: undefined,
    exited: new Promise((resolve) => {
      u.on('error', (e) => resolve({ code: null, signal: null, error: e.message }));
      u.on('close', (code, signal) => resolve({ code, signal }));
    }),
    stdout: () => out,
    stderr: () => err,
  };
  live.add(handle);
  handle.exited.then((info) => {
    handle.exitInfo = info;
    live.delete(handle);
  });
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && handle.exitInfo === undefined) {
    if (u.pid !== undefined) {
      const kids = childrenOf(u.pid);
      if (kids.length > 0) {
        const comm = readText(`/proc/${kids[0]}/comm`);
        if (comm !== null && comm.trim() !== 'unshare') {
          handle.pid = kids[0];
          return handle;
        }
      }
    }
    await sleep(1);
  }
  await stop(handle, { signal: 'SIGKILL' });
  throw new Error(`init did not start within ${timeoutMs} ms: ${argv.join(' ')}; stderr: ${err.trim()}`);
}

/** Signal the init, if it is still the child of its unshare (so the pid was not reused). */
export function signalInit(handle, signal) {
  if (handle.pid > 0 && handle.exitInfo === undefined && ppidOf(handle.pid) === handle.unshare.pid) {
    process.kill(handle.pid, signal);
    return true;
  }
  return false;
}

/** Resolve with the exit info, or undefined after `ms`. */
export async function waitExit(handle, ms) {
  const ac = new AbortController();
  const r = await Promise.race([handle.exited, sleep(ms, undefined, { signal: ac.signal }).catch(() => undefined)]);
  ac.abort();
  return r;
}

/**
 * End a run: `signal` to the init (if given), wait up to `graceMs`, then SIGKILL the init
 * (which ends its namespace) and, as a last resort, unshare itself.
 * @returns the exit info, with `forced: true` when SIGKILL was needed
 */
export async function stop(handle, { signal = 'SIGTERM', graceMs = 3000 } = {}) {
  if (handle.exitInfo !== undefined) return handle.exitInfo;
  if (signal !== 'SIGKILL' && signalInit(handle, signal)) {
    const info = await waitExit(handle, graceMs);
    if (info !== undefined) return info;
  }
  signalInit(handle, 'SIGKILL');
  let info = await waitExit(handle, 2000);
  if (info === undefined && handle.unshare.exitCode === null) {
    handle.unshare.kill('SIGKILL');
    info = await waitExit(handle, 2000);
  }
  return { ...(info ?? { code: null, signal: null }), forced: true };
}

/** SIGKILL everything we started that is still alive (used on interrupt and at the end). */
export async function killAll() {
  await Promise.all([...live].map((h) => stop(h, { signal: 'SIGKILL' })));
}

/** Every process whose ancestry leads to `root` (not `root` itself): what we left behind. */
export function descendantsOf(root) {
  const parent = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pp = ppidOf(Number(name));
    if (pp !== undefined) parent.set(Number(name), pp);
  }
  const out = [];
  for (const pid of parent.keys()) {
    let p = parent.get(pid);
    for (let hops = 0; p !== undefined && p > 1 && hops < 64; hops++) {
      if (p === root) {
        out.push({ pid, comm: (readText(`/proc/${pid}/comm`) ?? '?').trim() });
        break;
      }
      p = parent.get(p);
    }
  }
  return out;
}

/** Processes (other than us) whose command line mentions one of `markers` (our binaries, our temp dir). */
export function strays(markers) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmd = (readText(`/proc/${name}/cmdline`) ?? '').split('\0').join(' ');
    if (markers.some((m) => cmd.includes(m))) out.push({ pid: Number(name), cmdline: cmd.trim() });
  }
  return out;
}
