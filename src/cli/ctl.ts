/**
 * `ringmaster ctl`: one request to a running init's control socket, its answer printed.
 * Returns the exit code (main exits with it); never exits itself.
 *
 * Exit status: 0 done; 1 the request failed (the init said no, or gave no answer in time);
 * 64 usage error; 69 the control socket cannot be reached; 78 the config that names it cannot be read.
 */
import { EXIT } from '../errors/codes.js';
import { request, ControlClientError, type ControlReply } from '../control/client.js';
import { CONTROL_SOCKET_ENV } from '../control/paths.js';
import { findControlSocket, type Found } from './ctl-socket.js';
import { COMMANDS, parseRequest, type ControlRequest } from '../control/protocol.js';
import { formatStatus } from '../control/status-table.js';
import { closest } from '../config/suggest.js';
import { ControlError } from '../lifecycle/api.js';
import { printEvents } from './ctl-events.js';

/** The exit codes ctl gives (their registry: src/errors/exit.ts). */
export const CTL_EXIT = { OK: EXIT.OK, FAILED: EXIT.FAILED, USAGE: EXIT.USAGE, UNAVAILABLE: EXIT.UNAVAILABLE, CONFIG: EXIT.CONFIG } as const;

/** `status` should answer at once; a probe that hangs is worse than one that fails. Actions take as long as they take. */
const STATUS_TIMEOUT_S = 10;

export const CTL_USAGE = `Usage: ringmaster ctl [--socket PATH | -c CONFIG] [--json] [--timeout SEC] COMMAND [ARGS]

Commands:
  status                      watchers, workers, sockets and reloads (--json: the whole snapshot)
  start WATCHER               start a stopped watcher's workers
  stop WATCHER                stop a watcher's workers gracefully
  restart WATCHER [--rolling] [--max-surge N]
                              restart a watcher's workers; --rolling starts a new worker and waits
                              until it is ready before stopping an old one, N at a time (default 1;
                              --max-surge implies --rolling); answers when the last one is done
  scale WATCHER N             run N workers; N = auto or auto*F: F per CPU of the init's cgroup
                              CPU limit (numprocesses: auto), rounded up
  incr WATCHER [N]            N more workers (default 1)
  decr WATCHER [N]            N fewer workers (default 1)
  signal WATCHER SIG          send SIG (TERM, SIGTERM, 15) to the watcher's workers
  reload                      re-read the config and apply what changed
  quit                        stop every worker and exit the init
  events                      the init's events as they happen (worker started/ready/exited,
                              respawns, rollouts, reloads...), a line each (--json: one JSON object
                              per line), until Ctrl-C, the reader goes away, or the init exits

Options:
  --socket PATH               the init's control socket; default: $${CONTROL_SOCKET_ENV}, else the
                              config's control_socket, else control.sock in the first of
                              $XDG_RUNTIME_DIR/ringmaster, /run/ringmaster, $TMPDIR/ringmaster-UID
                              that has one (UID: the config's ringmaster.user, else yours)
  -c, --config PATH           the init's config, to read control_socket and user from; default: the
                              init's sources, $RINGMASTER_CONFIG, $RINGMASTER_CONFIG_FILE,
                              /etc/ringmaster/ringmaster.{yaml,yml,ini}
  --json                      print the answer as JSON (status: the snapshot; events: the events)
  --timeout SEC               give up after SEC seconds without an answer (default: ${STATUS_TIMEOUT_S} for
                              status, none for the others; 0 = none)
  -h, --help                  this text

Exit status: 0 done; 1 the request failed; 64 usage error; 69 cannot reach the control socket;
78 the config cannot be read.
`;

export interface CtlIo {
  /** @default process.stdout.write */
  out(text: string): void;
  /** @default process.stderr.write */
  err(text: string): void;
  /** ms since epoch, for uptimes in `status`. @default Date.now */
  now?(): number;
  /** `events`: call `stop` when the stream should end; returns the undo. @default SIGINT, SIGTERM, EPIPE on stdout */
  onStop?(stop: () => void): () => void;
}

const processIo: CtlIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

class UsageError extends Error {}

interface CtlArgs {
  help: boolean;
  socket: string | undefined;
  config: string | undefined;
  json: boolean;
  timeoutS: number | undefined;
  rolling: boolean;
  maxSurge: string | undefined;
  words: string[];
}

const VALUE_OPTIONS = new Set(['socket', 'config', 'timeout', 'max-surge']);
const FLAG_OPTIONS = new Set(['json', 'rolling', 'help']);

function parseArgs(argv: readonly string[]): CtlArgs {
  const a: CtlArgs = { help: false, socket: undefined, config: undefined, json: false, timeoutS: undefined, rolling: false, maxSurge: undefined, words: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      a.words.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      a.help = true;
      continue;
    }
    if (arg === '-c') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError('-c needs a value');
      a.config = value;
      continue;
    }
    if (!arg.startsWith('--')) {
      a.words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (FLAG_OPTIONS.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      if (name === 'json') a.json = true;
      else if (name === 'rolling') a.rolling = true;
      else a.help = true;
      continue;
    }
    if (!VALUE_OPTIONS.has(name)) {
      const hint = closest(name, [...VALUE_OPTIONS, ...FLAG_OPTIONS]);
      throw new UsageError(`unknown option --${name}${hint ? ` (did you mean --${hint}?)` : ''}`);
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (name === 'socket') a.socket = value;
    else if (name === 'config') a.config = value;
    else if (name === 'max-surge') a.maxSurge = value;
    else {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--timeout takes a number of seconds >= 0, got "${value}"`);
      a.timeoutS = n;
    }
  }
  return a;
}

/** "4" -> 4, so the protocol's own check speaks about the number; anything else goes as typed, to be named in its message. */
function numberish(word: string): string | number {
  return /^\d+$/.test(word) ? Number(word) : word;
}

const ARITY: Record<string, [min: number, max: number, args: string]> = {
  status: [0, 0, ''],
  reload: [0, 0, ''],
  quit: [0, 0, ''],
  events: [0, 0, ''],
  start: [1, 1, ' WATCHER'],
  stop: [1, 1, ' WATCHER'],
  restart: [1, 1, ' WATCHER [--rolling] [--max-surge N]'],
  scale: [2, 2, ' WATCHER N'],
  incr: [1, 2, ' WATCHER [N]'],
  decr: [1, 2, ' WATCHER [N]'],
  signal: [2, 2, ' WATCHER SIG'],
};

/**
 * The words after the options, as a request the protocol accepts (checked here with the
 * server's own rules, so that a slip is a usage error before anything is sent); UsageError
 * otherwise. `wire` is what is sent: as typed, for the init to normalise.
 */
function toRequest(a: CtlArgs): { wire: Record<string, unknown>; req: ControlRequest } {
  const [cmd, ...args] = a.words;
  if (cmd === undefined) throw new UsageError('no command given');
  const arity = ARITY[cmd];
  if (arity === undefined) {
    const hint = closest(cmd, COMMANDS);
    throw new UsageError(`unknown command "${cmd}"${hint ? ` (did you mean "${hint}"?)` : ''}: the commands are ${COMMANDS.join(', ')}`);
  }
  const [min, max, shape] = arity;
  if (args.length < min || args.length > max) {
    throw new UsageError(`${cmd} takes${shape === '' ? ' no arguments' : shape}, got ${args.length === 0 ? 'none' : args.map((x) => `"${x}"`).join(' ')}`);
  }
  if (cmd !== 'restart' && (a.rolling || a.maxSurge !== undefined)) {
    throw new UsageError(`${a.rolling ? '--rolling' : '--max-surge'} applies to restart, not ${cmd}`);
  }
  const raw: Record<string, unknown> = { cmd };
  if (args[0] !== undefined) raw['watcher'] = args[0];
  if (cmd === 'scale' || cmd === 'incr' || cmd === 'decr') {
    if (args[1] !== undefined) raw['n'] = numberish(args[1]);
  } else if (cmd === 'signal') raw['signal'] = args[1];
  else if (cmd === 'restart' && (a.rolling || a.maxSurge !== undefined)) {
    raw['rolling'] = true;
    if (a.maxSurge !== undefined) raw['maxSurge'] = numberish(a.maxSurge);
  }
  try {
    return { wire: raw, req: parseRequest(raw) };
  } catch (err) {
    if (err instanceof ControlError) throw new UsageError(err.message);
    throw err;
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function describeResult(req: ControlRequest, result: unknown, now: number): string {
  switch (req.cmd) {
    case 'status':
      return formatStatus(result as Parameters<typeof formatStatus>[0], now);
    case 'start':
      return `${req.watcher}: started\n`;
    case 'stop':
      return `${req.watcher}: stopped\n`;
    case 'restart':
      return `${req.watcher}: restarted${req.rolling ? ' (rolling)' : ''}\n`;
    case 'scale':
    case 'incr':
    case 'decr':
      return `${req.watcher}: ${plural(Number(result), 'process', 'processes')} desired\n`;
    case 'signal':
      return `${req.watcher}: sent ${req.signal} to ${plural(Number(result), 'process', 'processes')}\n`;
    case 'reload':
      return `${typeof result === 'string' && result !== '' ? result : 'reloaded'}\n`;
    case 'quit':
      return 'ringmaster is shutting down\n';
    case 'events':
      return ''; // printed as they came
    default: {
      const never: never = req;
      return String(never);
    }
  }
}

function unreachable(errno: string | undefined): string {
  switch (errno) {
    case 'ENOENT':
      return 'no such socket (is ringmaster running, with a config, as this user?)';
    case 'ECONNREFUSED':
      return 'nothing listens there (a socket left by a ringmaster that died?)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied: the socket is mode 0600, so run ctl as the user ringmaster runs as';
    default:
      return errno ?? 'unknown error';
  }
}

/**
 * `ringmaster ctl [--socket PATH | -c CONFIG] [--json] [--timeout SEC] COMMAND [ARGS]`; returns
 * the exit code: 0 ok, 1 the request failed, 64 usage, 69 cannot reach the control socket,
 * 78 the config that would name it cannot be read.
 */
export async function ctl(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CtlIo = processIo): Promise<number> {
  let args: CtlArgs;
  let req: ControlRequest;
  let wire: Record<string, unknown>;
  try {
    args = parseArgs(argv);
    if (args.help) {
      io.out(CTL_USAGE);
      return CTL_EXIT.OK;
    }
    ({ req, wire } = toRequest(args));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`ringmaster ctl: ${err.message} (see ringmaster ctl --help)\n`);
    return CTL_EXIT.USAGE;
  }

  if (args.socket !== undefined && args.config !== undefined) {
    io.err('ringmaster ctl: give --socket or -c, not both (see ringmaster ctl --help)\n');
    return CTL_EXIT.USAGE;
  }
  const found: Found = findControlSocket({ socket: args.socket, config: args.config, env, cwd: process.cwd() });
  if (found.kind === 'failed') {
    io.err(`ringmaster ctl: ${found.message}\n`);
    return found.exit === 'config' ? CTL_EXIT.CONFIG : CTL_EXIT.UNAVAILABLE;
  }
  const where = found;
  const timeoutS = args.timeoutS ?? (req.cmd === 'status' ? STATUS_TIMEOUT_S : 0);

  let reply: ControlReply;
  try {
    reply = req.cmd === 'events' ? await printEvents(where.path, args.json, timeoutS * 1000, io) : await request(where.path, wire, timeoutS * 1000);
  } catch (err) {
    if (!(err instanceof ControlClientError)) throw err;
    if (err.code === 'RM_CTL_UNREACHABLE') {
      io.err(
        `ringmaster ctl: cannot reach the control socket ${where.path} (${where.from}): ${unreachable(err.errno)}. ` +
          `Point ctl at the init's socket with --socket PATH, ${CONTROL_SOCKET_ENV}=PATH or -c CONFIG.\n`,
      );
      return CTL_EXIT.UNAVAILABLE;
    }
    const more = err.code === 'RM_CTL_TIMEOUT' && req.cmd !== 'status' ? '; the init may still be working on it (see ctl status), or raise --timeout' : '';
    io.err(`ringmaster ctl: ${req.cmd}: ${err.message}${more}\n`);
    return CTL_EXIT.FAILED;
  }

  if (!reply.ok) {
    if (args.json) io.out(`${JSON.stringify({ ok: false, code: reply.code, error: reply.error })}\n`);
    io.err(`ringmaster ctl: ${reply.error} (${reply.code})\n`);
    return CTL_EXIT.FAILED;
  }
  if (req.cmd === 'events') return CTL_EXIT.OK;
  io.out(args.json ? `${JSON.stringify(reply.result ?? null, null, 2)}\n` : describeResult(req, reply.result, (io.now ?? Date.now)()));
  return CTL_EXIT.OK;
}
