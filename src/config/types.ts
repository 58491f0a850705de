/**
 * The resolved configuration: what the config loader produces (frozen) and what the
 * supervisor consumes. One vocabulary for YAML and Circus INI; option names as Circus
 * has them. Durations are in seconds as users write them.
 */
import type { ConfigIssueCode } from '../errors/codes.js';

export type ConfigFormat = 'yaml' | 'ini' | 'argv';

/** Where a value came from, for error messages: `ringmaster.yaml:7:19`. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export interface GlobalConfig {
  /** `env_file` of the global section, resolved (absolute): read below every watcher's and task's own env_file. @default [] */
  env_file: string[];
  /** Drop to this user (name or uid) after binding the sockets. */
  user: string | undefined;
  /** Drop to this group (name or gid); defaults to the user's primary group. */
  group: string | undefined;
  /** Seconds the whole shutdown may take before what is left gets SIGKILL. @default 25 */
  graceful_timeout: number;
  /** Seconds between starting watchers. @default 0 */
  warmup_delay: number;
  /** Seconds between SIGTERM and stopping the watchers, so that endpoint removal reaches load balancers. @default 0 */
  drain_delay: number;
  /** Octal umask for the init. */
  umask: number | undefined;
  /** HTTP endpoint for /metrics, /livez, /readyz; none when http_port is unset. */
  http_host: string;
  http_port: number | undefined;
  /** Control socket path (ringmaster ctl). */
  control_socket: string | undefined;
  /** @default 'info' */
  loglevel: 'error' | 'warn' | 'info' | 'debug' | 'trace' | undefined;
  log_format: 'text' | 'json' | undefined;
  /** Become a child subreaper when not PID 1. @default true */
  subreaper: boolean;
  /** The watcher SIGTTIN/SIGTTOU scale up and down; the first in start order when unset. */
  scale_watcher: string | undefined;
}

export type SocketFamily = 'AF_INET' | 'AF_INET6' | 'AF_UNIX';

export interface SocketConfig {
  /** lower-cased, as Circus does */
  name: string;
  family: SocketFamily;
  /** TCP: host name or address to bind. @default 'localhost' (resolved; first IPv4 result wins) */
  host: string;
  /** TCP port; 0 = an ephemeral port. @default 8080 */
  port: number;
  /** unix socket path; a leading '@' means the abstract namespace. Setting it makes the family AF_UNIX. */
  path: string | undefined;
  type: 'SOCK_STREAM' | 'SOCK_DGRAM' | 'SOCK_SEQPACKET';
  /** @default 2048 */
  backlog: number;
  /** IPV6_V6ONLY for AF_INET6. @default undefined (kernel default) */
  v6only: boolean | undefined;
  /** One socket per worker in an SO_REUSEPORT group instead of one shared socket. @default false */
  so_reuseport: boolean;
  /** Unix socket file mode (octal, e.g. 0o660); overrides umask when set. */
  mode: number | undefined;
  /** Unix socket umask, parsed as OCTAL (Circus parses it as decimal: a bug we do not copy). @default 0o010 */
  umask: number;
  /** Unix socket owner/group (name or number). */
  owner: string | undefined;
  group: string | undefined;
  /** Unlink a stale unix socket file before binding. @default false */
  replace: boolean;
  /** Leave the fd blocking. @default false */
  blocking: boolean;
  /** SO_BINDTODEVICE */
  interface: string | undefined;
}

export type OutputMode = 'inherit' | 'prefix' | 'json';

/** When a worker counts as ready (issue: worker side). */
export type ReadyCheck =
  | { kind: 'none' }
  | { kind: 'notify'; timeout: number }
  | { kind: 'delay'; seconds: number }
  | { kind: 'http'; url: string; timeout: number };

export interface WatcherConfig {
  /** case kept; lookups are case-insensitive */
  name: string;
  /**
   * argv template: `cmd` and `args` shlex-split and concatenated, substitutions
   * ($(circus.wid), $(circus.sockets.NAME), ((...)), {SOCKET:NAME}) still in place.
   */
  argv: string[];
  /** The raw `cmd` string as written (for messages). */
  cmd: string;
  executable: string | undefined;
  /** Run through /bin/sh -c. @default false */
  shell: boolean;
  shell_args: string | undefined;
  working_dir: string | undefined;
  uid: string | undefined;
  gid: string | undefined;
  /**
   * Workers to run. With `auto` / `auto*F` it is 1 in the config as loaded, and the init
   * sets it from the cgroup's CPU limit before the watchers see the config
   * (src/lifecycle/process-count.ts), at start and on each reload. @default 1
   */
  numprocesses: number;
  /** `auto*F` was written: F workers per CPU (1 for `auto`); undefined for a number. @default undefined */
  numprocesses_auto: number | undefined;
  /** where a resolved `auto` came from (`auto*2: cgroup v1 cpu limit 1.5 CPUs`); set with numprocesses. @default undefined */
  numprocesses_source: string | undefined;
  /** seconds between spawning two workers of this watcher. @default 0 */
  warmup_delay: number;
  /** higher starts first, stops last. @default 0 */
  priority: number;
  singleton: boolean;
  /** @default true */
  autostart: boolean;
  /**
   * When an exited worker is started again. `true` is `always`, `false` is `never` (as in
   * Circus). Under `on-failure` a worker that exits with one of `success_exit_codes` is not
   * restarted: its slot is completed (not a failure, not FATAL). Death by a signal is a
   * failure. @default 'always'
   */
  respawn: RespawnPolicy;
  /** Exit codes that mean success, for `respawn: on-failure`. @default [0] */
  success_exit_codes: number[];
  /**
   * Watchers and start tasks this watcher waits for (names as written, compared
   * case-insensitively): a watcher until all its desired workers are ready, a task until it
   * exited 0. @default []
   */
  depends_on: string[];
  /** `env_file` paths, resolved (absolute), in the order read; their variables are in `env` already. @default [] */
  env_file: string[];
  /** Circus: hand every socket to the workers. @default false */
  use_sockets: boolean;
  /** Names of the sockets this watcher's workers get (from use_sockets, or those its argv names). */
  sockets: string[];
  /**
   * Copy the init's environment into the workers. Circus defaults to false; a container
   * user expects PATH and friends, so ringmaster defaults to true. @default true
   */
  copy_env: boolean;
  /** Start the workers with the signal mask and ignored signals ringmaster inherited, as the command of `ringmaster -- CMD` does. @default false */
  copy_signals: boolean;
  /** [env] merged with [env:PATTERN] sections matching this watcher, then the watcher's own `env`. */
  env: Record<string, string>;
  /** @default 'SIGTERM' (a name, with SIG) */
  stop_signal: string;
  stop_children: boolean;
  /** seconds. @default 30 */
  graceful_timeout: number;
  /** Quick failures in a row before the watcher is FATAL; -1 = never. @default 5 */
  max_retry: number;
  /** seconds; restart a worker after this age (0 = off), with max_age_variance. */
  max_age: number;
  max_age_variance: number;
  /**
   * Bytes of resident memory (RSS of a worker and its descendants) above which, for two
   * checks in a row, a worker is replaced (its replacement first); 0 = off. With a
   * percentage it is 0 in the config as loaded, and the init sets it from the cgroup's
   * memory limit (src/lifecycle/memory-limit.ts), at start and on each reload. @default 0
   */
  max_memory: number;
  /** `40%` was written: the percentage of the cgroup's memory limit; undefined for bytes. @default undefined */
  max_memory_percent: number | undefined;
  /** where a resolved percentage came from (`40% of the cgroup v1 memory limit 256 MiB`). @default undefined */
  max_memory_source: string | undefined;
  /** seconds between two max_memory checks (only when max_memory is set). @default 5 */
  memory_check_interval: number;
  /** Backoff between respawns: initial seconds, multiplier, cap, jitter fraction; reset after `backoff_reset` seconds of healthy uptime. */
  backoff_initial: number;
  backoff_multiplier: number;
  backoff_max: number;
  backoff_jitter: number;
  backoff_reset: number;
  /** RLIMIT_* name (lower case, without rlimit_) -> value; null = infinity */
  rlimits: Record<string, number | null>;
  /** stdin from /dev/null. @default true (Circus) */
  close_child_stdin: boolean;
  close_child_stdout: boolean;
  close_child_stderr: boolean;
  /** Worker output: inherited fds (no copy), line-prefixed, or JSON lines. @default 'inherit' */
  output: OutputMode;
  /** Signals the init receives and passes to this watcher's workers (names with SIG). @default all signals the init does not use itself */
  forward_signals: string[];
  /** End the init (non-zero) when this watcher's worker exits, or when the watcher goes FATAL. @default 'never' */
  exit_on: 'never' | 'exit' | 'fatal';
  /** Set LISTEN_PID to the worker's own pid (through an exec shim). @default false */
  listen_pid: boolean;
  ready: ReadyCheck;
  /** Kill a worker that stops sending WATCHDOG=1 for this many seconds; 0 = off. */
  watchdog_sec: number;
  /** Rolling restarts: new workers started before old ones are stopped. @default 1 */
  max_surge: number;
}

export type RespawnPolicy = 'always' | 'on-failure' | 'never';

/** A command that runs to completion: `[task:NAME]` / `tasks.NAME`. */
export interface TaskConfig {
  /** case kept; lookups are case-insensitive */
  name: string;
  /** as a watcher's: `cmd` and `args` shlex-split and concatenated */
  argv: string[];
  cmd: string;
  /** Run through /bin/sh -c. @default false */
  shell: boolean;
  working_dir: string | undefined;
  uid: string | undefined;
  gid: string | undefined;
  /** @default true */
  copy_env: boolean;
  /** from lowest to highest: the global env_file, its own env_file, [env], the [env:PATTERN] sections matching the task, its own `env` */
  env: Record<string, string>;
  /** resolved paths, as WatcherConfig.env_file. @default [] */
  env_file: string[];
  /** @default 'prefix' (the task's lines are labelled with its name) */
  output: OutputMode;
  /** as WatcherConfig.rlimits */
  rlimits: Record<string, number | null>;
  /** `start`: runs at start, before what depends on it; `stop`: at shutdown, after every watcher stopped. @default 'start' */
  when: 'start' | 'stop';
  /** seconds; past it: TERM, then KILL after `graceful_timeout`, and the run failed. 0 = none. @default 0 */
  timeout: number;
  /** seconds between the TERM of a timeout and the KILL. @default 5 */
  graceful_timeout: number;
  /** runs after a failed one, with the backoff below. @default 0 */
  retries: number;
  /** as a watcher's backoff (seconds, multiplier, cap, jitter fraction) */
  backoff_initial: number;
  backoff_multiplier: number;
  backoff_max: number;
  backoff_jitter: number;
  /** watchers and start tasks this task waits for, as WatcherConfig.depends_on. @default [] */
  depends_on: string[];
  /** higher starts first among tasks and watchers whose dependencies are met. @default 0 */
  priority: number;
  /** cron expression (5 fields, or 6 with seconds first): a scheduled task, run only on its schedule. @default undefined */
  schedule: string | undefined;
  /** IANA time zone for `schedule` (`Europe/Paris`); the init's local time when unset. @default undefined */
  timezone: string | undefined;
}

export interface Config {
  source: { format: ConfigFormat; files: string[] };
  ringmaster: GlobalConfig;
  /** sorted by name */
  sockets: SocketConfig[];
  /** in start order: priority descending, then name */
  watchers: WatcherConfig[];
  /** priority descending, then name (start tasks, stop tasks and scheduled tasks together) */
  tasks: TaskConfig[];
  /** the global [env] section (after interpolation) */
  env: Record<string, string>;
  /** one-line notices for options accepted but not applicable (ZMQ endpoints, statsd...) */
  warnings: string[];
  /** the texts read with `${file:}` (secrets), so that output can hide them (`check`); never shown. @default undefined (none) */
  secrets?: string[];
}

/** One validation problem, with where it is and how to fix it. */
export interface ConfigIssue {
  /** dotted key path: watchers.web.numprocesses */
  path: string;
  message: string;
  pos: SourcePos | undefined;
  value?: unknown;
  /** what kind of problem, for scripts: RM_CONFIG_VALUE, RM_CONFIG_UNKNOWN_KEY... (src/errors/codes.ts) */
  code: ConfigIssueCode;
}
