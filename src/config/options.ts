/**
 * Every option ringmaster reads, per section, in one table: its type (which drives INI
 * coercion, the JSON Schema and the messages), its range, and for Circus options that do
 * not apply here, what ringmaster does instead (a one-line warning, never an error).
 *
 * Mapping of Circus 0.19 options (research/managers.md section 2):
 *
 * `[circus]` / `ringmaster:`
 * - kept: `warmup_delay` (seconds, floats allowed), `umask` (octal), `loglevel`
 *   (`warning` -> `warn`, `critical` -> `error`).
 * - ours: `user`, `group`, `graceful_timeout`, `drain_delay`, `http_host`, `http_port`,
 *   `control_socket`, `log_format`, `subreaper`, `env_file`.
 * - warned and ignored: the ZMQ endpoints (`endpoint`, `endpoint_owner`, `pubsub_endpoint`,
 *   `stats_endpoint`, `multicast_endpoint`), `statsd*`, `httpd*`, `check_delay`, `debug`,
 *   `debug_gc`, `pidfile`, `logoutput`, `loggerconfig`, `fqdn_prefix`, `stream_backend`.
 * - `include` / `include_dir`: read by the INI loader, never seen here.
 *
 * `[watcher:NAME]` / `watchers.NAME:`
 * - kept with Circus meaning: `cmd`, `args`, `executable`, `shell`, `shell_args`,
 *   `working_dir`, `uid`, `gid`, `numprocesses`, `warmup_delay`, `priority`, `singleton`,
 *   `autostart`, `respawn` (a boolean as in Circus, or `always`, `on-failure`, `never`),
 *   `use_sockets`, `close_child_*`, `stop_signal`, `stop_children`,
 *   `graceful_timeout`, `max_age`, `max_age_variance`, `rlimit_*` (empty = infinity).
 * - changed: `copy_env` defaults to TRUE (a container user expects PATH and friends);
 *   `max_retry` counts quick failures in a row (Circus: spawn exceptions only).
 * - `stdout_stream.class`/`stderr_stream.class`: `FancyStdoutStream` selects `output:
 *   prefix`, `StdoutStream` is what `inherit` does anyway; file streams are warned about
 *   (ringmaster writes no log files) as are the other `*_stream.*` keys.
 * - ours: `sockets`, `env` (also `K=V, K2=V2` in INI), `backoff_*`, `output`,
 *   `forward_signals`, `exit_on`, `listen_pid`, `ready`, `watchdog_sec`, `max_surge`,
 *   `success_exit_codes`, `depends_on`, `env_file`.
 * - warned and ignored: `on_demand`, `check_flapping`, `send_hup`, `copy_path`,
 *   `virtualenv`, `virtualenv_py_ver`, `stdin_socket`, and the free-form `hooks.*`,
 *   `flapping.*` keys.
 *
 * `[task:NAME]` / `tasks.NAME:` (ours): a command that runs to completion. A watcher's
 * `cmd`, `args`, `shell`, `working_dir`, `uid`, `gid`, `copy_env`, `env`, `env_file`,
 * `rlimit_*`, `priority`, `backoff_*`, `depends_on` and `graceful_timeout` (5 here), `output`
 * (`prefix` here), plus `when`, `timeout`, `retries`, `schedule`, `timezone`. A watcher
 * option that means nothing for one run (`numprocesses`, `ready`...) is an error saying so
 * (TASK_ONLY_HINTS).
 *
 * `[socket:NAME]` / `sockets.NAME:`
 * - kept: `host`, `port`, `family`, `type` (no SOCK_RAW/SOCK_RDM), `backlog`, `path`
 *   (`@name` = abstract namespace, which Circus cannot do), `umask` (OCTAL; Circus reads
 *   it as decimal, a bug not copied), `replace`, `so_reuseport`, `blocking`, `interface`.
 * - ours: `v6only`, `mode`, `owner`, `group`.
 * - warned and ignored: `proto` (the protocol follows from `type`).
 */

import { MEMORY_EXPECT } from './memory-size.js';

export type OptionType =
  | 'int'
  | 'number'
  | 'bool'
  | 'string'
  /** a user or group: a name, or a number kept as a string */
  | 'id'
  /** an octal number: `022`, `0o22`; in YAML, `022` means octal too */
  | 'octal'
  | 'signal'
  | 'signals'
  /** a list of names; in INI, separated by commas or spaces */
  | 'names'
  /** a list of exit statuses (integers 0-255); in INI, separated by commas or spaces */
  | 'exit_codes'
  /** a command line (shlex-split later) or a list of words */
  | 'argv'
  /** a path or a list of paths; in INI (and in one string), separated by commas or newlines */
  | 'paths'
  | 'ready'
  /** a map of environment variables; in INI `K=V, K2=V2` */
  | 'env'
  /** a resource limit: a number, or empty / `infinity` / `unlimited` for RLIM_INFINITY */
  | 'rlimit'
  /** a worker count: an integer, or `auto` / `auto*F` (F workers per CPU of the cgroup's limit) */
  | 'processes'
  /** bytes with a unit (`512Mi`, `1G`) or a percentage of the cgroup's memory limit (`40%`): config/memory-size.ts */
  | 'memory'
  | 'enum'
  | 'ignored';

export interface OptionSpec {
  type: OptionType;
  description: string;
  minimum?: number;
  maximum?: number;
  /** enum values, canonical spelling */
  values?: readonly string[];
  /** an enum that also takes a boolean (YAML, or INI's yes/no, on/off, 1/0): the values meaning true and false */
  boolValues?: readonly [string, string];
  /** set for options accepted but not applied: what ringmaster does instead */
  ignored?: string;
  /** overrides the generated "must be ..." text */
  expect?: string;
  /** what a number counts, said after its range: `between 0 and 2147483 seconds` */
  unit?: string;
}

export type Scope = 'ringmaster' | 'socket' | 'watcher' | 'task';

/**
 * The longest duration, in seconds, of any option: 2^31-1 ms, the longest delay a Node.js
 * timer holds (24.8 days). Node runs a longer timer after 1 ms instead, so a max_age of a
 * month would recycle a worker at once, again and again. A bound here, checked by
 * `ringmaster check`, rather than timers that chain themselves: no duration of a
 * supervisor (a grace period, a backoff, a readiness timeout) is sensibly longer, and one
 * limit in the schema covers every timer there is and every one added later.
 */
export const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
/** How a duration's range ends in a message. */
export const SECONDS_UNIT = 'seconds (24.8 days, the longest timer Node.js can set)';
/** Counts and priorities with no natural bound: what a C int holds. */
export const INT32_MAX = 2 ** 31 - 1;
/** Workers of one watcher, also the bound of `ringmaster ctl scale`: more is a slip, not a plan. */
export const MAX_PROCESSES = 10_000;
/** `auto*F`: the smallest and largest F (workers per CPU). */
export const MIN_AUTO_FACTOR = 0.01;
export const MAX_AUTO_FACTOR = 64;
/** The "must be ..." text of a numprocesses that starts with `auto` but is not a valid form. */
export const AUTO_EXPECT = `an integer between 0 and ${MAX_PROCESSES}, or auto, or auto*F with F a number between ${MIN_AUTO_FACTOR} and ${MAX_AUTO_FACTOR} (auto*2, auto*0.5)`;
/** uid_t and gid_t are 32 bits, and (uid_t)-1 means "unchanged" to setuid(2) and chown(2). */
export const MAX_ID = 2 ** 32 - 2;
/** rlim_t is 64 bits, but a JS number is exact only up to 2^53-1. */
export const MAX_RLIMIT = Number.MAX_SAFE_INTEGER;

const ZMQ = 'ringmaster has no ZMQ endpoints; control it with control_socket (ringmaster ctl); ignored';
const HTTPD = 'circus-web is not provided; ringmaster serves /metrics, /livez and /readyz on http_host:http_port; ignored';
const STATSD = 'ringmaster exports Prometheus metrics on /metrics (set http_port) instead of statsd; ignored';
const PYTHON = 'Python-only; ignored';

function ign(ignored: string): OptionSpec {
  return { type: 'ignored', description: `Circus option, accepted and ignored: ${ignored}`, ignored };
}

const seconds = (description: string): OptionSpec => ({ type: 'number', minimum: 0, maximum: MAX_SECONDS, unit: SECONDS_UNIT, description });

/** `env_file`, on the global section, watchers and tasks. */
export const ENV_FILE_SPEC: OptionSpec = {
  type: 'paths',
  description: "dotenv file(s) read at each load: their variables go below env (later files win); relative paths start at the config file's directory. Default none.",
};

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  env_file: ENV_FILE_SPEC,
  user: { type: 'id', description: 'Drop to this user (name or uid) after binding the sockets.' },
  group: { type: 'id', description: "Drop to this group (name or gid); defaults to the user's primary group." },
  graceful_timeout: seconds('Seconds the whole shutdown may take before what is left gets SIGKILL. Default 25.'),
  warmup_delay: seconds('Seconds between starting two watchers. Default 0.'),
  drain_delay: seconds('Seconds between SIGTERM and stopping the watchers, so that load balancers notice. Default 0.'),
  umask: { type: 'octal', minimum: 0, maximum: 0o777, description: 'Octal umask of the init, e.g. "022".' },
  http_host: { type: 'string', description: 'Address of the /metrics, /livez, /readyz endpoint. Default 0.0.0.0.' },
  http_port: { type: 'int', minimum: 0, maximum: 65535, description: 'Port of the HTTP endpoint; none when unset.' },
  control_socket: { type: 'string', description: 'Path of the control socket for ringmaster ctl.' },
  loglevel: {
    type: 'enum',
    values: ['error', 'warn', 'info', 'debug', 'trace'],
    description: 'Log level (Circus names warning and critical are accepted). Default info.',
  },
  log_format: { type: 'enum', values: ['text', 'json'], description: 'Log line format.' },
  subreaper: { type: 'bool', description: 'Become a child subreaper when not PID 1. Default true.' },
  scale_watcher: {
    type: 'string',
    description: 'The watcher that SIGTTIN and SIGTTOU scale up and down by one, as gunicorn does. Default: the first in start order.',
  },
  endpoint: ign(ZMQ),
  endpoint_owner: ign(ZMQ),
  pubsub_endpoint: ign('ringmaster publishes no ZMQ events; watch /metrics and the logs; ignored'),
  stats_endpoint: ign(STATSD),
  statsd: ign(STATSD),
  statsd_close_outputs: ign(STATSD),
  multicast_endpoint: ign('ringmaster does no cluster discovery; ignored'),
  check_delay: ign('ringmaster reacts to exits at once; ignored'),
  httpd: ign(HTTPD),
  httpd_host: ign(HTTPD),
  httpd_port: ign(HTTPD),
  httpd_close_outputs: ign(HTTPD),
  debug: ign("workers inherit the init's stdout and stderr by default (output: inherit); ignored"),
  debug_gc: ign(PYTHON),
  pidfile: ign('a container init needs no pid file; ignored'),
  logoutput: ign('ringmaster logs to stderr, the container log; ignored'),
  loggerconfig: ign('use loglevel and log_format; ignored'),
  fqdn_prefix: ign('ignored'),
  stream_backend: ign('ignored'),
};

export const SOCKET_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  host: { type: 'string', description: 'Host name or address to bind. Default localhost (first IPv4 result).' },
  port: { type: 'int', minimum: 0, maximum: 65535, description: 'TCP/UDP port; 0 = ephemeral. Default 8080.' },
  family: {
    type: 'enum',
    values: ['AF_INET', 'AF_INET6', 'AF_UNIX'],
    description: 'Address family; AF_UNIX when path is set, AF_INET6 for an IPv6 host literal, else AF_INET.',
  },
  type: {
    type: 'enum',
    values: ['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_SEQPACKET'],
    description: 'Socket type. Default SOCK_STREAM.',
  },
  backlog: {
    type: 'int',
    minimum: 0,
    maximum: INT32_MAX,
    description: 'listen() backlog (the kernel caps it at net.core.somaxconn). Default 2048.',
  },
  path: { type: 'string', description: 'Unix socket path; a leading @ means the abstract namespace.' },
  v6only: { type: 'bool', description: 'IPV6_V6ONLY for AF_INET6 sockets.' },
  so_reuseport: { type: 'bool', description: 'One SO_REUSEPORT socket per worker instead of one shared socket.' },
  mode: { type: 'octal', minimum: 0, maximum: 0o7777, description: 'Unix socket file mode, octal (e.g. "660").' },
  umask: { type: 'octal', minimum: 0, maximum: 0o777, description: 'Unix socket umask, octal. Default 010.' },
  owner: { type: 'id', description: 'Unix socket file owner (name or uid).' },
  group: { type: 'id', description: 'Unix socket file group (name or gid).' },
  replace: { type: 'bool', description: 'Unlink a stale unix socket file before binding.' },
  blocking: { type: 'bool', description: 'Leave the socket blocking.' },
  interface: { type: 'string', description: 'Bind to this network interface (SO_BINDTODEVICE).' },
  proto: ign('the protocol follows from type; ignored'),
};

const DEPENDS_ON: OptionSpec = {
  type: 'names',
  description: 'Watchers (all their workers ready) and start tasks (exited 0) to wait for before starting. Default none.',
};

const NOT_STREAMED = 'ringmaster writes no log files: worker output goes to the container log (see output); ignored';
const FLAPPING = 'ringmaster backs off between restarts (backoff_*) and gives up after max_retry; ignored';

export const WATCHER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  env_file: ENV_FILE_SPEC,
  cmd: { type: 'argv', description: 'The command: a command line (shlex-split) or a list of words.' },
  args: { type: 'argv', description: 'Arguments appended to cmd: a command line or a list.' },
  executable: { type: 'string', description: 'Program to run instead of the first word of cmd.' },
  shell: { type: 'bool', description: 'Run the command through /bin/sh -c.' },
  shell_args: { type: 'string', description: 'Extra arguments for the shell (with shell only).' },
  working_dir: { type: 'string', description: 'Working directory of the workers.' },
  uid: { type: 'id', description: 'Run the workers as this user.' },
  gid: { type: 'id', description: 'Run the workers as this group.' },
  numprocesses: {
    type: 'processes',
    minimum: 0,
    maximum: MAX_PROCESSES,
    description: "Number of workers, or auto / auto*F: F per CPU of the cgroup's CPU limit (else of the CPUs ringmaster may run on), rounded up, at least 1. Default 1.",
  },
  warmup_delay: seconds('Seconds between spawning two workers. Default 0.'),
  priority: { type: 'int', minimum: -INT32_MAX - 1, maximum: INT32_MAX, description: 'Higher starts first and stops last. Default 0.' },
  singleton: { type: 'bool', description: 'At most one worker.' },
  autostart: { type: 'bool', description: 'Start with the init. Default true.' },
  respawn: {
    type: 'enum',
    values: ['always', 'on-failure', 'never'],
    boolValues: ['always', 'never'],
    description: 'When a worker that exited is started again: always, on-failure (not after an exit with one of success_exit_codes), never; true = always, false = never. Default always.',
  },
  success_exit_codes: {
    type: 'exit_codes',
    minimum: 0,
    maximum: 255,
    description: 'Exit statuses that mean success, for respawn: on-failure. Default [0].',
  },
  depends_on: DEPENDS_ON,
  use_sockets: { type: 'bool', description: 'Hand every socket to the workers.' },
  sockets: { type: 'names', description: 'Sockets handed to the workers, besides those cmd names.' },
  close_child_stdin: { type: 'bool', description: 'stdin from /dev/null. Default true.' },
  close_child_stdout: { type: 'bool', description: 'stdout to /dev/null.' },
  close_child_stderr: { type: 'bool', description: 'stderr to /dev/null.' },
  copy_env: { type: 'bool', description: "Copy the init's environment into the workers. Default TRUE (Circus: false)." },
  copy_signals: { type: 'bool', description: 'Start the workers with the signal mask and ignored signals ringmaster inherited. Default false.' },
  env: { type: 'env', description: 'Environment variables of the workers.' },
  stop_signal: { type: 'signal', description: 'Signal that stops a worker. Default SIGTERM.' },
  stop_children: { type: 'bool', description: "Also signal the workers' children." },
  graceful_timeout: seconds('Seconds between stop_signal and SIGKILL. Default 30.'),
  max_retry: {
    type: 'int',
    minimum: -1,
    maximum: INT32_MAX,
    expect: `an integer between -1 and ${INT32_MAX} (-1 = retry forever)`,
    description: 'Quick failures in a row before the watcher is FATAL; -1 = never. Default 5.',
  },
  max_age: seconds('Restart a worker after this many seconds; 0 = never.'),
  max_age_variance: seconds('Random extra seconds added to max_age. Default 30.'),
  backoff_initial: seconds('Seconds before the first respawn. Default 0.1.'),
  backoff_multiplier: { type: 'number', minimum: 1, maximum: 1000, description: 'Factor between two respawn delays. Default 2.' },
  backoff_max: seconds('Longest respawn delay in seconds. Default 15.'),
  backoff_jitter: { type: 'number', minimum: 0, maximum: 1, description: 'Random fraction added to a delay. Default 0.2.' },
  backoff_reset: seconds('Seconds of uptime after which the backoff starts over. Default 10.'),
  output: { type: 'enum', values: ['inherit', 'prefix', 'json'], description: 'Worker output handling. Default inherit.' },
  forward_signals: { type: 'signals', description: 'Signals passed on to the workers.' },
  exit_on: {
    type: 'enum',
    values: ['never', 'exit', 'fatal'],
    description: 'End the init when a worker exits, or when the watcher goes FATAL. Default never.',
  },
  listen_pid: { type: 'bool', description: "Set LISTEN_PID to the worker's own pid." },
  ready: {
    type: 'ready',
    expect: `none, notify, {notify: true, timeout: S}, {http: URL, timeout: S} or {delay: S} (S: seconds, at most ${MAX_SECONDS})`,
    description: 'When a worker counts as ready: none, notify (sd_notify READY=1), an HTTP check, or a delay.',
  },
  watchdog_sec: seconds('Kill a worker that sends no WATCHDOG=1 for this many seconds; 0 = off.'),
  max_memory: {
    type: 'memory',
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    expect: MEMORY_EXPECT,
    description: 'Replace a worker (start its replacement, then stop it) whose resident memory with its descendants stays above this for two checks in a row: bytes (512Mi, 1G) or a percentage of the container memory limit (40%); 0 = off. Default 0.',
  },
  memory_check_interval: { ...seconds('Seconds between two max_memory checks. Default 5.'), minimum: 0.1 },
  max_surge: {
    type: 'int',
    minimum: 1,
    maximum: MAX_PROCESSES,
    description: 'Rolling restarts: how many new workers may start before old ones stop. Default 1.',
  },
  on_demand: ign('workers start at once; ignored'),
  check_flapping: ign(FLAPPING),
  send_hup: ign('a reload restarts the workers; ignored'),
  copy_path: ign(PYTHON),
  virtualenv: ign(PYTHON),
  virtualenv_py_ver: ign(PYTHON),
  stdin_socket: ign('hand sockets over with $(circus.sockets.NAME) or LISTEN_FDS; ignored'),
};

/** The longest `schedule` or `timezone` text (checked by the build: ajv's maxLength needs its runtime): a cron expression is a few dozen characters. */
export const MAX_SCHEDULE_LENGTH = 256;

const W = WATCHER_OPTIONS as Record<string, OptionSpec>;
const same = (key: string): OptionSpec => W[key] as OptionSpec;

export const TASK_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  cmd: same('cmd'),
  args: same('args'),
  shell: same('shell'),
  working_dir: { type: 'string', description: 'Working directory of the task.' },
  uid: { type: 'id', description: 'Run the task as this user.' },
  gid: { type: 'id', description: 'Run the task as this group.' },
  copy_env: { type: 'bool', description: "Copy the init's environment into the task. Default true." },
  env: { type: 'env', description: 'Environment variables of the task.' },
  env_file: ENV_FILE_SPEC,
  output: { type: 'enum', values: ['inherit', 'prefix', 'json'], description: 'Task output handling. Default prefix.' },
  when: {
    type: 'enum',
    values: ['start', 'stop'],
    description: 'start: runs at start, before what depends on it; stop: at shutdown, after every watcher stopped. Default start.',
  },
  timeout: seconds('Seconds a run may take: past it, SIGTERM, then SIGKILL after graceful_timeout, and the run failed; 0 = none. Default 0.'),
  graceful_timeout: seconds('Seconds between the SIGTERM of a timeout and the SIGKILL. Default 5.'),
  retries: { type: 'int', minimum: 0, maximum: INT32_MAX, description: 'Runs after a failed one, with the backoff_* delays. Default 0.' },
  backoff_initial: seconds('Seconds before the first retry. Default 0.1.'),
  backoff_multiplier: same('backoff_multiplier'),
  backoff_max: seconds('Longest delay between two runs in seconds. Default 15.'),
  backoff_jitter: same('backoff_jitter'),
  depends_on: DEPENDS_ON,
  priority: { type: 'int', minimum: -INT32_MAX - 1, maximum: INT32_MAX, description: 'Higher starts first among those whose dependencies are met. Default 0.' },
  schedule: {
    type: 'string',
    description: 'Cron expression (5 fields, or 6 with seconds first): run on this schedule only, not at start. Default none.',
  },
  timezone: {
    type: 'string',
    description: "IANA time zone of schedule (Europe/Paris). Default the init's local time.",
  },
};

/**
 * Why a watcher option is not a task option, said when a task has it: a task runs one
 * process once, to completion. Every watcher option missing from TASK_OPTIONS is here.
 */
export const WATCHER_ONLY_HINTS: Readonly<Record<string, string>> = {
  numprocesses: 'a task runs one process',
  singleton: 'a task runs one process',
  warmup_delay: 'a task runs one process',
  max_surge: 'a task runs one process',
  respawn: 'a task is not restarted; use retries for a failed run',
  success_exit_codes: 'a task succeeds when it exits 0',
  max_retry: 'use retries',
  backoff_reset: 'the backoff between retries starts over at each start',
  max_age: 'use timeout',
  max_age_variance: 'use timeout',
  ready: 'a task is done when it exits 0',
  watchdog_sec: 'use timeout',
  stop_signal: 'past its timeout a task gets SIGTERM, then SIGKILL',
  stop_children: 'a task is stopped with its process group',
  autostart: 'use when, or schedule',
  exit_on: 'a start task that fails ends ringmaster already',
  sockets: 'tasks get no sockets',
  use_sockets: 'tasks get no sockets',
  listen_pid: 'tasks get no sockets',
  forward_signals: 'signals go to the watchers',
  copy_signals: 'a task starts with the default signal state',
  executable: 'put the program first in cmd',
  shell_args: 'put them in cmd with shell: true',
  close_child_stdin: 'a task reads no stdin',
  close_child_stdout: 'use output',
  close_child_stderr: 'use output',
  max_memory: 'a task runs once; use timeout',
  memory_check_interval: 'a task runs once; use timeout',
};

/** Free-form dotted keys Circus passes to plugins and hooks: warned about, not errors. */
export const FREE_FORM: ReadonlyArray<{ prefix: string; ignored: string }> = [
  { prefix: 'hooks.', ignored: 'Python hooks are not supported; ignored' },
  { prefix: 'flapping.', ignored: FLAPPING },
  { prefix: 'stdout_stream.', ignored: NOT_STREAMED },
  { prefix: 'stderr_stream.', ignored: NOT_STREAMED },
];

/** `rlimit_<name>` keys; the names setrlimit(2) knows. */
export const RLIMIT_KEY = /^rlimit_([A-Za-z]+)$/;
export const RLIMIT_NAMES: readonly string[] = [
  'as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue',
  'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
];
export const RLIMIT_SPEC: OptionSpec = {
  type: 'rlimit',
  minimum: 0,
  maximum: MAX_RLIMIT,
  description: 'Resource limit (soft = hard); empty, null or "infinity" = unlimited.',
};

export const ENV_SPEC: OptionSpec = { type: 'env', description: 'Environment variables for every watcher.' };

/** The options of a scope. */
export function optionsOf(scope: Scope): Readonly<Record<string, OptionSpec>> {
  switch (scope) {
    case 'ringmaster':
      return GLOBAL_OPTIONS;
    case 'socket':
      return SOCKET_OPTIONS;
    case 'watcher':
      return WATCHER_OPTIONS;
    case 'task':
      return TASK_OPTIONS;
  }
}

/** The spec for a key of a scope, including rlimit_* keys of watchers and tasks; undefined if unknown. */
export function specOf(scope: Scope, key: string): OptionSpec | undefined {
  const table = optionsOf(scope);
  if (Object.hasOwn(table, key)) return table[key];
  if ((scope === 'watcher' || scope === 'task') && RLIMIT_KEY.test(key)) return RLIMIT_SPEC;
  return undefined;
}

/** The free-form entry a watcher key falls under (`hooks.x`), if any. */
export function freeFormOf(key: string): { prefix: string; ignored: string } | undefined {
  return FREE_FORM.find((f) => key.startsWith(f.prefix) && key.length > f.prefix.length);
}

/** The "must be ..." text of an option: `an integer >= 0`. */
export function expectOf(spec: OptionSpec): string {
  if (spec.expect) return spec.expect;
  const range = (what: string): string => {
    const { minimum: lo, maximum: hi } = spec;
    const unit = spec.unit === undefined ? '' : ` ${spec.unit}`;
    if (lo !== undefined && hi !== undefined) return `${what} between ${lo} and ${hi}${unit}`;
    if (lo !== undefined) return `${what} >= ${lo}${unit}`;
    if (hi !== undefined) return `${what} <= ${hi}${unit}`;
    return what;
  };
  switch (spec.type) {
    case 'int':
      return range('an integer');
    case 'number':
      return range('a number');
    case 'bool':
      return 'a boolean (true/false, yes/no, on/off, 1/0)';
    case 'string':
      return 'a string';
    case 'id':
      return `a name or a number from 0 to ${MAX_ID}`;
    case 'octal':
      return `an octal number such as "022"${spec.maximum !== undefined ? ` up to ${spec.maximum.toString(8)}` : ''}`;
    case 'signal':
      return 'a signal name such as SIGTERM (or TERM, or a number)';
    case 'signals':
      return 'a list of signal names such as [SIGUSR1, SIGUSR2]';
    case 'names':
      return 'a list of names';
    case 'exit_codes':
      return `a list of exit statuses (integers between ${spec.minimum ?? 0} and ${spec.maximum ?? 255})`;
    case 'argv':
      return 'a command line or a list of words';
    case 'paths':
      return 'a path or a list of paths';
    case 'ready':
      return 'a readiness check';
    case 'env':
      return 'a map of variable names to strings';
    case 'rlimit':
      return `${range('an integer')}, or empty/"infinity"/"unlimited" for no limit`;
    case 'memory':
      return MEMORY_EXPECT;
    case 'processes':
      // the auto forms are named when the value tried one (AUTO_EXPECT): "two" reads as before
      return range('an integer');
    case 'enum': {
      const b = spec.boolValues;
      return `one of ${(spec.values ?? []).join(', ')}${b === undefined ? '' : ` (or true = ${b[0]}, false = ${b[1]})`}`;
    }
    case 'ignored':
      return 'anything';
  }
}
