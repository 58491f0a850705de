/**
 * Defaults, in one place. Where ringmaster departs from Circus it says so: `copy_env`
 * is true (a worker without PATH is never what a container user wants), `http_host`
 * is 0.0.0.0 (kubelet probes come from outside the pod's loopback).
 */
import { DEFAULT_FORWARD_SIGNALS } from './signals.js';
import type { GlobalConfig, SocketConfig, TaskConfig, WatcherConfig } from './types.js';

export const GLOBAL_DEFAULTS: Readonly<GlobalConfig> = {
  env_file: [],
  user: undefined,
  group: undefined,
  graceful_timeout: 25,
  warmup_delay: 0,
  drain_delay: 0,
  umask: undefined,
  http_host: '0.0.0.0',
  http_port: undefined,
  control_socket: undefined,
  loglevel: 'info',
  log_format: undefined,
  subreaper: true,
  scale_watcher: undefined,
};

/** Socket defaults, without name and family (which depend on the other options). */
export const SOCKET_DEFAULTS: Readonly<Omit<SocketConfig, 'name' | 'family'>> = {
  host: 'localhost',
  port: 8080,
  path: undefined,
  type: 'SOCK_STREAM',
  backlog: 2048,
  v6only: undefined,
  so_reuseport: false,
  mode: undefined,
  umask: 0o010,
  owner: undefined,
  group: undefined,
  replace: false,
  blocking: false,
  interface: undefined,
};

/** Watcher defaults, without what is computed from the options (name, argv, cmd, sockets, env, rlimits). */
export const WATCHER_DEFAULTS: Readonly<Omit<WatcherConfig, 'name' | 'argv' | 'cmd' | 'sockets' | 'env' | 'rlimits'>> = {
  executable: undefined,
  shell: false,
  shell_args: undefined,
  working_dir: undefined,
  uid: undefined,
  gid: undefined,
  numprocesses: 1,
  numprocesses_auto: undefined,
  numprocesses_source: undefined,
  warmup_delay: 0,
  priority: 0,
  singleton: false,
  autostart: true,
  respawn: 'always',
  success_exit_codes: [0],
  depends_on: [],
  env_file: [],
  use_sockets: false,
  copy_env: true,
  copy_signals: false,
  stop_signal: 'SIGTERM',
  stop_children: false,
  graceful_timeout: 30,
  max_retry: 5,
  max_age: 0,
  max_age_variance: 30,
  max_memory: 0,
  max_memory_percent: undefined,
  max_memory_source: undefined,
  memory_check_interval: 5,
  backoff_initial: 0.1,
  backoff_multiplier: 2,
  backoff_max: 15,
  backoff_jitter: 0.2,
  backoff_reset: 10,
  close_child_stdin: true,
  close_child_stdout: false,
  close_child_stderr: false,
  output: 'inherit',
  forward_signals: DEFAULT_FORWARD_SIGNALS as string[],
  exit_on: 'never',
  listen_pid: false,
  ready: { kind: 'none' },
  watchdog_sec: 0,
  max_surge: 1,
};

/**
 * Task defaults, without what is computed (name, argv, cmd, env, rlimits). The backoff
 * between retries is a watcher's; `graceful_timeout` is shorter (a task past its timeout
 * is being given up on) and `output` is `prefix` (so that a task's lines say whose they are).
 */
export const TASK_DEFAULTS: Readonly<Omit<TaskConfig, 'name' | 'argv' | 'cmd' | 'env' | 'rlimits'>> = {
  shell: false,
  working_dir: undefined,
  uid: undefined,
  gid: undefined,
  copy_env: true,
  env_file: [],
  output: 'prefix',
  when: 'start',
  timeout: 0,
  graceful_timeout: 5,
  retries: 0,
  backoff_initial: WATCHER_DEFAULTS.backoff_initial,
  backoff_multiplier: WATCHER_DEFAULTS.backoff_multiplier,
  backoff_max: WATCHER_DEFAULTS.backoff_max,
  backoff_jitter: WATCHER_DEFAULTS.backoff_jitter,
  depends_on: [],
  priority: 0,
  schedule: undefined,
  timezone: undefined,
};
