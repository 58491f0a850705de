/**
 * Command-line parsing for the init itself. Options stop at the first word that is not
 * one (as tini does), so `ringmaster node -v app.js` passes `-v` to node; `--` ends
 * them explicitly.
 */
import { usageError } from '../errors/codes.js';
import { MAX_SECONDS, SECONDS_UNIT } from '../config/options.js';
import { parseSignal } from '../sys/signals.js';
import type { LogFormat } from '../log/logger.js';
import { editDistance } from '../config/suggest.js';

export interface RunOptions {
  command: string[];
  processGroup: boolean;
  remapExit: Set<number>;
  /** milliseconds */
  gracefulTimeoutMs: number;
  subreaper: boolean;
  parentDeathSignal: number | undefined;
  warnOnReap: boolean;
  /** -v count minus -q count, added to the default verbosity */
  verbosityDelta: number;
  logFormat: LogFormat | undefined;
  configPath: string | undefined;
  sockets: string[];
  help: boolean;
  version: boolean;
}

/** Grace period after SIGTERM: below Kubernetes' default terminationGracePeriodSeconds (30 s). */
export const DEFAULT_GRACEFUL_TIMEOUT_MS = 25_000;

type Kind = 'flag' | 'value';
interface OptSpec {
  long: string;
  short?: string;
  kind: Kind;
  apply(o: RunOptions, value: string): void;
}

function seconds(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw usageError(`${name} takes a number of seconds >= 0, got "${v}"`);
  }
  if (n > MAX_SECONDS) throw usageError(`${name} takes at most ${MAX_SECONDS} ${SECONDS_UNIT}, got "${v}"`);
  return Math.round(n * 1000);
}

const SPECS: OptSpec[] = [
  { long: 'help', short: 'h', kind: 'flag', apply: (o) => (o.help = true) },
  { long: 'version', short: 'V', kind: 'flag', apply: (o) => (o.version = true) },
  { long: 'verbose', short: 'v', kind: 'flag', apply: (o) => o.verbosityDelta++ },
  { long: 'quiet', short: 'q', kind: 'flag', apply: (o) => o.verbosityDelta-- },
  { long: 'process-group', short: 'g', kind: 'flag', apply: (o) => (o.processGroup = true) },
  { long: 'warn-on-reap', short: 'w', kind: 'flag', apply: (o) => (o.warnOnReap = true) },
  { long: 'subreaper', short: 's', kind: 'flag', apply: (o) => (o.subreaper = true) },
  { long: 'no-subreaper', kind: 'flag', apply: (o) => (o.subreaper = false) },
  {
    long: 'remap-exit',
    short: 'e',
    kind: 'value',
    apply: (o, v) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n > 255) throw usageError(`--remap-exit takes an exit code 0-255, got "${v}"`);
      o.remapExit.add(n);
    },
  },
  {
    long: 'graceful-timeout',
    short: 't',
    kind: 'value',
    apply: (o, v) => (o.gracefulTimeoutMs = seconds('--graceful-timeout', v)),
  },
  {
    long: 'parent-death-signal',
    short: 'p',
    kind: 'value',
    apply: (o, v) => {
      const s = parseSignal(v);
      if (!s) throw usageError(`--parent-death-signal takes a signal name or number (TERM, SIGUSR1, 15), got "${v}"`);
      o.parentDeathSignal = s.number;
    },
  },
  {
    long: 'log-format',
    kind: 'value',
    apply: (o, v) => {
      if (v !== 'text' && v !== 'json') throw usageError(`--log-format takes "text" or "json", got "${v}"`);
      o.logFormat = v;
    },
  },
  { long: 'config', short: 'c', kind: 'value', apply: (o, v) => (o.configPath = v) },
  { long: 'socket', kind: 'value', apply: (o, v) => o.sockets.push(v) },
];

const byLong = new Map(SPECS.map((s) => [s.long, s]));
const byShort = new Map(SPECS.filter((s) => s.short).map((s) => [s.short as string, s]));

export function defaultRunOptions(): RunOptions {
  return {
    command: [],
    processGroup: false,
    remapExit: new Set(),
    gracefulTimeoutMs: DEFAULT_GRACEFUL_TIMEOUT_MS,
    subreaper: true,
    parentDeathSignal: undefined,
    warnOnReap: false,
    verbosityDelta: 0,
    logFormat: undefined,
    configPath: undefined,
    sockets: [],
    help: false,
    version: false,
  };
}

function closest(word: string): string | undefined {
  let best: string | undefined;
  let bestScore = 3;
  for (const s of SPECS) {
    if (word.length >= 3 && s.long.startsWith(word)) return s.long;
    const d = editDistance(word, s.long);
    if (d < bestScore) {
      best = s.long;
      bestScore = d;
    }
  }
  return best;
}

/** Parse the init's argv (without node and the script). Throws RingmasterError RM_USAGE. */
export function parseRunArgs(argv: readonly string[]): RunOptions {
  const o = defaultRunOptions();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = byLong.get(name);
      if (!spec) {
        const hint = closest(name);
        throw usageError(`unknown option --${name}${hint ? ` (did you mean --${hint}?)` : ''}`);
      }
      if (spec.kind === 'flag') {
        if (eq >= 0) throw usageError(`--${name} takes no value`);
        spec.apply(o, '');
        i++;
        continue;
      }
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        i++;
      }
      if (value === undefined) throw usageError(`--${name} needs a value`);
      spec.apply(o, value);
      i++;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // -vvv, -gw, -t5, -t 5
      let j = 1;
      while (j < arg.length) {
        const ch = arg[j] as string;
        const spec = byShort.get(ch);
        if (!spec) throw usageError(`unknown option -${ch}`);
        if (spec.kind === 'flag') {
          spec.apply(o, '');
          j++;
          continue;
        }
        let value: string | undefined = arg.slice(j + 1);
        if (value === '') {
          value = argv[i + 1];
          i++;
        }
        if (value === undefined) throw usageError(`-${ch} needs a value`);
        spec.apply(o, value);
        j = arg.length;
      }
      i++;
      continue;
    }
    break;
  }
  o.command = argv.slice(i);
  return o;
}

export const USAGE = `Usage:
  ringmaster [options] [--] COMMAND [ARGS...]   run COMMAND as a supervised child (like tini)
  ringmaster [options] -c CONFIG                run the sockets and watchers of a config file
  ringmaster [options] -c CONFIG -- COMMAND [ARGS...]
                                                run COMMAND as the main process once the
                                                config's watchers (its sidecars) are ready
  ringmaster --help | --version

Options:
  -g, --process-group          forward signals to the child's whole process group
  -e, --remap-exit CODE        exit 0 when the child exits with CODE (repeatable; e.g. 143)
  -t, --graceful-timeout SEC   after SIGTERM/SIGINT/SIGQUIT, wait this long, then SIGKILL
                               what is left (default 25, below Kubernetes' 30 s)
  -s, --subreaper              become a child subreaper when not PID 1 (the default)
      --no-subreaper           do not; orphans then go to the real PID 1
  -p, --parent-death-signal SIG  receive SIG (and forward it) when our parent dies
  -w, --warn-on-reap           log every reaped orphan as a warning
  -v, --verbose                more log output (repeat: -vv, -vvv); RINGMASTER_VERBOSITY=0..4
  -q, --quiet                  less log output (errors only)
      --log-format text|json   ringmaster's own log lines on stderr (RINGMASTER_LOG_FORMAT)
  -c, --config PATH            config file or directory (YAML or Circus INI)
      --socket NAME=URL        declare a socket on the command line (tcp://HOST:PORT, unix:PATH)
  -h, --help                   this text
  -V, --version                print the version

Exit status: the child's exit code; 128+N when it died of signal N; 126 when COMMAND
cannot be executed, 127 when it is not found; 64 usage error; 78 configuration error;
71 the OS refused (socket bind, privilege drop); 70 internal error.
`;
