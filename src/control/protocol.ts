/**
 * The control protocol: newline-delimited JSON on a unix socket, one request per line,
 * one response line per request, correlated by `id` (responses may come out of order: a
 * rolling restart answers when it is done, a status asked meanwhile answers at once).
 *
 *   -> {"id": 1, "cmd": "scale", "watcher": "web", "n": 4}
 *   <- {"id": 1, "ok": true, "result": 4}
 *   -> {"id": 2, "cmd": "stop", "watcher": "wbe"}
 *   <- {"id": 2, "ok": false, "code": "RM_CTL_UNKNOWN_WATCHER", "error": "unknown watcher \"wbe\": ..."}
 *
 * One command streams instead: after its answer, `events` sends the init's events as they
 * happen, one JSON object per line (event-stream.ts), until either side closes:
 *
 *   -> {"id": 3, "cmd": "events"}
 *   <- {"id": 3, "ok": true, "result": "streaming"}
 *   <- {"type": "worker.exited", "seq": 41, "time": 1764630465123, "watcher": "web", "wid": 2, ...}
 *   <- {"type": "worker.spawned", "seq": 42, "time": 1764630465130, "watcher": "web", "wid": 2, "pid": 318}
 *
 * This module checks the shape of a request (which fields, which types, which ranges) and
 * nothing else: whether the watcher exists is the Controller's business.
 */
import { ControlError } from '../lifecycle/api.js';
import { parseSignal } from '../sys/signals.js';
import { closest } from '../config/suggest.js';
import { MAX_PROCESSES } from '../config/options.js';
import { parseAuto } from '../config/coerce.js';
import { CTL_CODES } from '../errors/codes.js';

/** The codes the control socket itself gives, by short name (their registry: src/errors/codes.ts). */
export { CTL_CODES };

export const COMMANDS = ['status', 'start', 'stop', 'restart', 'scale', 'incr', 'decr', 'signal', 'reload', 'quit', 'events'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** A typo guard, not a limit of the supervisor: `scale web 100000` is more likely a slip than a plan. */
export { MAX_PROCESSES };

/** A request whose shape has been checked. */
export type ControlRequest =
  | { cmd: 'status' | 'reload' | 'quit' }
  | { cmd: 'events' }
  | { cmd: 'start' | 'stop'; watcher: string }
  | { cmd: 'restart'; watcher: string; rolling: boolean; maxSurge: number | undefined }
  /** n: a number, or `{ auto: F }` from `"auto"` / `"auto*F"` (resolved by the init from its cgroup) */
  | { cmd: 'scale'; watcher: string; n: number | { auto: number } }
  | { cmd: 'incr' | 'decr'; watcher: string; n: number }
  | { cmd: 'signal'; watcher: string; signal: string };

/** The requests answered with one response (all but `events`, which the server streams). */
export type CallRequest = Exclude<ControlRequest, { cmd: 'events' }>;

export type RequestId = string | number | null;

export type ControlResponse =
  | { id: RequestId; ok: true; result: unknown }
  | { id: RequestId; ok: false; code: string; error: string };

/** The fields each command takes besides `id` and `cmd` (the first ones are required). */
const FIELDS: Record<CommandName, { required: readonly string[]; optional: readonly string[] }> = {
  status: { required: [], optional: [] },
  reload: { required: [], optional: [] },
  quit: { required: [], optional: [] },
  events: { required: [], optional: [] },
  start: { required: ['watcher'], optional: [] },
  stop: { required: ['watcher'], optional: [] },
  restart: { required: ['watcher'], optional: ['rolling', 'maxSurge'] },
  scale: { required: ['watcher', 'n'], optional: [] },
  incr: { required: ['watcher'], optional: ['n'] },
  decr: { required: ['watcher'], optional: ['n'] },
  signal: { required: ['watcher', 'signal'], optional: [] },
};

function bad(message: string): ControlError {
  return new ControlError(CTL_CODES.BAD_ARGUMENT, message);
}

/** A value as JSON shows it ("two", -1, null), or as text when JSON has no form for it. */
function shown(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

/** An integer in [min, max], or a ControlError naming the value and the range. */
function integer(cmd: string, what: string, v: unknown, min: number, max: number): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  throw bad(`${cmd}: ${what} must be an integer from ${min} to ${max}, got ${shown(v)}`);
}

function isCommand(s: string): s is CommandName {
  return (COMMANDS as readonly string[]).includes(s);
}

/** The id to echo: a string or a number as sent, else null. */
export function requestIdOf(raw: unknown): RequestId {
  if (typeof raw !== 'object' || raw === null) return null;
  const id = (raw as Record<string, unknown>)['id'];
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/**
 * Check a parsed request line. Throws ControlError (RM_CTL_BAD_REQUEST, RM_CTL_UNKNOWN_COMMAND,
 * RM_CTL_BAD_ARGUMENT) with a message that names the value and what is accepted.
 */
export function parseRequest(raw: unknown): ControlRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ControlError(CTL_CODES.BAD_REQUEST, `a request is a JSON object like {"cmd": "status"}, got ${shown(raw)}`);
  }
  const r = raw as Record<string, unknown>;
  const id = r['id'];
  if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') {
    throw new ControlError(CTL_CODES.BAD_REQUEST, `"id" must be a string or a number, got ${shown(id)}`);
  }
  const cmd = r['cmd'];
  if (typeof cmd !== 'string' || !isCommand(cmd)) {
    const hint = typeof cmd === 'string' ? closest(cmd, COMMANDS) : undefined;
    throw new ControlError(
      CTL_CODES.UNKNOWN_COMMAND,
      `unknown command ${shown(cmd)}${hint ? ` (did you mean "${hint}"?)` : ''}: the commands are ${COMMANDS.join(', ')}`,
    );
  }
  const { required, optional } = FIELDS[cmd];
  for (const key of Object.keys(r)) {
    if (key === 'id' || key === 'cmd' || required.includes(key) || optional.includes(key)) continue;
    const takes = [...required, ...optional];
    throw bad(`${cmd} takes ${takes.length === 0 ? 'no arguments' : takes.map((k) => `"${k}"`).join(', ')}, not "${key}"`);
  }
  for (const key of required) if (r[key] === undefined) throw bad(`${cmd} needs "${key}"`);

  const watcher = r['watcher'];
  if (watcher !== undefined && (typeof watcher !== 'string' || watcher.trim() === '')) {
    throw bad(`${cmd}: "watcher" must be a watcher's name, got ${shown(watcher)}`);
  }
  const w = watcher as string;
  switch (cmd) {
    case 'status':
    case 'reload':
    case 'quit':
      return { cmd };
    case 'events':
      return { cmd };
    case 'start':
    case 'stop':
      return { cmd, watcher: w };
    case 'restart': {
      const rolling = r['rolling'] ?? false;
      if (typeof rolling !== 'boolean') throw bad(`restart: "rolling" must be true or false, got ${shown(rolling)}`);
      const surge = r['maxSurge'];
      if (surge !== undefined && !rolling) throw bad('restart: "maxSurge" applies to a rolling restart; add "rolling": true');
      const maxSurge = surge === undefined ? undefined : integer(cmd, 'maxSurge', surge, 1, MAX_PROCESSES);
      return { cmd, watcher: w, rolling, maxSurge };
    }
    case 'scale': {
      const n = r['n'];
      if (typeof n === 'string' && /^\s*auto/i.test(n)) {
        const a = parseAuto(n);
        if (!a.ok) throw bad(`scale: ${shown(n)} is not auto or auto*F${a.reason === undefined ? '' : ` (${a.reason})`}`);
        return { cmd, watcher: w, n: a.value as { auto: number } };
      }
      return { cmd, watcher: w, n: integer(cmd, 'the number of processes', n, 0, MAX_PROCESSES) };
    }
    case 'incr':
    case 'decr':
      return { cmd, watcher: w, n: r['n'] === undefined ? 1 : integer(cmd, 'the step', r['n'], 1, MAX_PROCESSES) };
    case 'signal': {
      const s = r['signal'];
      const parsed = typeof s === 'string' || typeof s === 'number' ? parseSignal(String(s)) : undefined;
      if (!parsed) throw bad(`signal: ${shown(s)} names no signal; give a name or number like TERM, SIGHUP, 15`);
      return { cmd, watcher: w, signal: parsed.name };
    }
    default: {
      const never: never = cmd;
      return never;
    }
  }
}

/** A ControlError as a response line's fields. */
export function errorResponse(id: RequestId, err: ControlError): ControlResponse {
  return { id, ok: false, code: err.code, error: err.message };
}
