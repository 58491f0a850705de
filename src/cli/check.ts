/**
 * `ringmaster check [PATH]`: validate a config, bind its sockets (so a port in use or a
 * missing directory shows now, and port 0 gets its real port), print the resolved plan,
 * close everything. `ringmaster schema`: print the JSON Schema for editors.
 */
import { EXIT, RingmasterError, type ErrorCode } from '../errors/codes.js';
import type { Config, ConfigIssue, TaskConfig, WatcherConfig } from '../config/types.js';
import { ConfigError } from '../config/errors.js';
import { redact } from '../config/secrets.js';
import { describeMaxMemory, memoryLimits } from '../lifecycle/memory-limit.js';
import { substitute } from '../supervisor/substitute.js';
import { resolveIds } from '../supervisor/watcher-status.js';
import { accessSync, constants as fsConstants, statSync, type Stats } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';

function out(text: string): void {
  process.stdout.write(text);
}

/** A problem `check` reports: its code, the key it is about, the message. */
export interface CheckProblem {
  code: ErrorCode;
  path: string;
  message: string;
}

/**
 * What the config cannot say about itself but this machine can: users and groups that do
 * not exist (the watcher or task could not start: an error), a working_dir or a command that
 * is not here (a warning: the image or a volume may bring them at run time).
 */
export function hostChecks(config: Config, cwd: string, env: NodeJS.ProcessEnv): { errors: CheckProblem[]; warnings: string[] } {
  const errors: CheckProblem[] = [];
  const warnings: string[] = [];
  const runnable = [
    ...config.watchers.map((w) => ({ section: `watchers.${w.name}`, w, who: 'workers' })),
    ...config.tasks.map((t) => ({ section: `tasks.${t.name}`, w: { ...t, executable: undefined }, who: 'the task' })),
  ];
  for (const { section, w, who } of runnable) {
    try {
      resolveIds(w, section);
    } catch (err) {
      if (!(err instanceof RingmasterError)) throw err;
      errors.push({ code: err.code, path: section, message: err.message });
    }
    const dir = resolvePath(cwd, w.working_dir ?? '.');
    let st: Stats | undefined;
    let why: string | undefined;
    try {
      // Not throwIfNoEntry: false, which hides ENOTDIR too since Node 24 (a file on the way).
      st = statSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') why = code; // ENOTDIR: a file on the way; EACCES
    }
    if (why === 'ENOTDIR' || (st && !st.isDirectory())) {
      const path = `${section}.working_dir`;
      errors.push({ code: 'RM_CONFIG_VALUE', path, message: `${path}: ${dir} is not a directory` });
    } else if (why !== undefined) warnings.push(`${section}.working_dir: ${dir} cannot be checked here (${why})`);
    else if (!st) warnings.push(`${section}.working_dir: ${dir} does not exist here; ${who} cannot start until it does`);
    const file = w.executable ?? w.argv[0];
    if (file !== undefined && !w.shell && !file.includes('$(') && !file.includes('((') && !found(file, dir, w.env.PATH ?? env.PATH)) {
      const key = w.executable === undefined ? 'cmd' : 'executable';
      warnings.push(`${section}.${key}: "${file}" is not ${file.includes('/') ? 'an executable file' : 'an executable in PATH'} here`);
    }
  }
  return { errors, warnings: warnings.map((w) => redact(w, config.secrets ?? [])) };
}

function found(file: string, dir: string, path: string | undefined): boolean {
  const candidates = file.includes('/') ? [resolvePath(dir, file)] : (path ?? '').split(':').filter(Boolean).map((p) => join(p, file));
  return candidates.some((c) => {
    try {
      accessSync(c, fsConstants.X_OK);
      return statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

/** The plan as text: sockets with their real addresses, each watcher's commands after substitution. */
export function formatPlan(config: Config, sockets: ReadonlyArray<{ name: string; url: string }>): string {
  const lines: string[] = [];
  lines.push(`config: ${config.source.files.join(', ') || '(environment)'} (${config.source.format})`);
  for (const w of config.warnings) lines.push(`warning: ${w}`);
  lines.push('sockets:');
  if (sockets.length === 0) lines.push('  (none)');
  for (const s of sockets) {
    const c = config.sockets.find((x) => x.name === s.name);
    lines.push(`  ${s.name}: ${s.url}${c?.so_reuseport ? ' (SO_REUSEPORT: one socket per worker)' : ''}${c ? ` backlog=${c.backlog}` : ''}`);
  }
  lines.push('watchers (in start order):');
  if (config.watchers.length === 0) lines.push('  (none)');
  for (const w of config.watchers) {
    lines.push(`  ${w.name}: ${w.numprocesses} process${w.numprocesses === 1 ? '' : 'es'}${w.numprocesses_source === undefined ? '' : ` (${w.numprocesses_source})`}, priority ${w.priority}${w.autostart ? '' : ', autostart off'}${w.max_memory > 0 ? `, max_memory ${describeMaxMemory(w)}` : ''}`);
    const map = new Map(w.sockets.map((n, i) => [n.toLowerCase(), 3 + i]));
    if (w.sockets.length > 0) lines.push(`    sockets: ${w.sockets.map((n, i) => `${n}=fd ${3 + i}`).join(', ')}`);
    const shown = Math.min(w.numprocesses, 3);
    for (let wid = 1; wid <= shown; wid++) {
      const argv = w.argv.map((a) => substitute(a, { wid, sockets: map, env: { ...process.env, ...w.env } }));
      // a secret read with ${file:} (or put in through $(circus.env.X)) is not printed
      lines.push(`    [${wid}] ${argv.map((a) => shownWord(redact(a, config.secrets ?? [], true))).join(' ')}`);
    }
    if (w.numprocesses > shown) lines.push(`    ... ${w.numprocesses - shown} more`);
    if (w.depends_on.length > 0) lines.push(`    depends on: ${w.depends_on.join(', ')}`);
    lines.push(`    stop: ${w.stop_signal}, then SIGKILL after ${w.graceful_timeout} s; restart: ${restartText(w)}`);
  }
  if (config.tasks.length > 0) {
    lines.push('tasks (in start order):');
    for (const t of config.tasks) lines.push(`  ${t.name}: ${taskText(t)}`, `    ${t.argv.map((a) => shownWord(redact(a, config.secrets ?? [], true))).join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function shownWord(a: string): string {
  return /^[\w./:=@%+,-]+$/.test(a) ? a : JSON.stringify(a);
}

/** `always, backoff 0.1-15 s, FATAL after 5 quick failures`; `on-failure (success: 0, 3), ...`; `never`. */
function restartText(w: WatcherConfig): string {
  switch (w.respawn) {
    case 'never':
      return 'never';
    case 'always':
    case 'on-failure': {
      const success = w.respawn === 'on-failure' ? ` (success exit codes: ${w.success_exit_codes.join(', ') || 'none'})` : '';
      return `${w.respawn}${success}, backoff ${w.backoff_initial}-${w.backoff_max} s, FATAL after ${w.max_retry} quick failures`;
    }
    default: {
      const never: never = w.respawn;
      return never;
    }
  }
}

/** `at start, timeout 30 s, 2 retries, priority 0, depends on: db`; `on schedule "0 3 * * *" (Europe/Paris), ...`. */
function taskText(t: TaskConfig): string {
  const when = t.schedule !== undefined ? `on schedule ${JSON.stringify(t.schedule)}${t.timezone === undefined ? '' : ` (${t.timezone})`}` : `at ${t.when}`;
  const parts = [when, t.timeout > 0 ? `timeout ${t.timeout} s` : 'no timeout'];
  if (t.retries > 0) parts.push(`${t.retries} retr${t.retries === 1 ? 'y' : 'ies'} (backoff ${t.backoff_initial}-${t.backoff_max} s)`);
  parts.push(`priority ${t.priority}`);
  if (t.depends_on.length > 0) parts.push(`depends on: ${t.depends_on.join(', ')}`);
  return parts.join(', ');
}

/** What `check --json` says of each watcher and task beyond its name. */
function planJson(config: Config): Record<string, unknown> {
  return {
    watchers: config.watchers.map((w) => ({ name: w.name, respawn: w.respawn, success_exit_codes: w.success_exit_codes, depends_on: w.depends_on })),
    tasks: config.tasks.map((t) => ({
      name: t.name,
      when: t.when,
      schedule: t.schedule ?? null,
      timezone: t.timezone ?? null,
      timeout: t.timeout,
      retries: t.retries,
      depends_on: t.depends_on,
    })),
  };
}

const CHECK_USAGE = `Usage: ringmaster check [--json] [PATH]
  Validate the config (PATH, or the usual sources), bind its sockets, print the plan.
  --json  print one JSON object instead: {"ok": true, "warnings", "sockets", "watchers", "tasks",
          "plan": {"watchers": [{"name", "respawn", "success_exit_codes", "depends_on"}],
          "tasks": [{"name", "when", "schedule", "timezone", "timeout", "retries", "depends_on"}]}}, or
          {"ok": false, "code", "problems": [{"code", "path", "message", "file", "line", "column", "value"}]}
`;

/** A config issue as `check --json` prints it: its position spread out. */
function shownIssue(i: ConfigIssue): Record<string, unknown> {
  return { code: i.code, path: i.path, message: i.message, file: i.pos?.file, line: i.pos?.line, column: i.pos?.column, value: i.value };
}

interface CheckReport {
  /** `text`: what the text form prints on stderr */
  fail(code: ErrorCode, problems: ReadonlyArray<Record<string, unknown>>, text: string): void;
  warn(warnings: readonly string[]): void;
  ok(config: Config, sockets: ReadonlyArray<{ name: string; url: string }>): void;
}

/** How check reports: text on stdout and stderr, or one JSON object on stdout. */
function reporter(json: boolean): CheckReport {
  let warnings: readonly string[] = [];
  return {
    fail: (code, problems, text) => {
      if (json) out(`${JSON.stringify({ ok: false, code, warnings, problems })}\n`);
      else process.stderr.write(`${text}\n`);
    },
    warn: (w) => {
      warnings = w;
      if (!json) for (const x of w) process.stderr.write(`warning: ${x}\n`);
    },
    ok: (config, sockets) => {
      if (json) out(`${JSON.stringify({ ok: true, files: config.source.files, warnings: [...config.warnings, ...warnings], sockets, watchers: config.watchers.map((w) => w.name), tasks: config.tasks.map((t) => t.name), plan: planJson(config) })}\n`);
      else out(`${formatPlan(config, sockets)}ok\n`);
    },
  };
}

/** A RingmasterError as check's problems: a ConfigError's issues, else the error itself. */
function problemsOf(err: RingmasterError): Array<Record<string, unknown>> {
  return err instanceof ConfigError ? err.issues.map(shownIssue) : [{ code: err.code, path: '', message: err.message }];
}

export async function check(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    out(CHECK_USAGE);
    return EXIT.OK;
  }
  const report = reporter(argv.includes('--json'));
  const path = argv.find((a) => !a.startsWith('-'));
  const { loadConfig } = await import('../config/index.js');
  let config: Config | null;
  let memoryWarnings: string[] = [];
  try {
    config = loadConfig({ path, env: process.env, cwd: process.cwd() });
    // what the init would run here: numprocesses: auto from this cgroup's CPU limit
    if (config) config = (await import('../lifecycle/process-count.js')).resolveProcessCounts(config);
    // max_memory: 40% of this cgroup's memory limit; none here is a warning (the container may have one)
    if (config?.watchers.some((w) => w.max_memory_percent !== undefined)) {
      const r = memoryLimits(config);
      config = r.config;
      memoryWarnings = r.issues.map((i) => i.message);
    }
  } catch (err) {
    if (!(err instanceof RingmasterError)) throw err;
    report.fail(err.code, problemsOf(err), err.message);
    return err.exitCode;
  }
  if (!config) {
    const message = 'ringmaster check: no configuration found (give a PATH, or set RINGMASTER_CONFIG / RINGMASTER_CONFIG_FILE)';
    report.fail('RM_CONFIG', [{ code: 'RM_CONFIG', path: '', message }], message);
    return EXIT.CONFIG;
  }
  const host = hostChecks(config, process.cwd(), process.env);
  report.warn([...host.warnings, ...memoryWarnings]);
  if (host.errors.length > 0) {
    report.fail('RM_CONFIG', host.errors.map((e) => ({ ...e })), host.errors.map((e) => e.message).join('\n'));
    return EXIT.CONFIG;
  }
  const { SocketSet } = await import('../supervisor/socket-set.js');
  let set;
  try {
    set = await SocketSet.bind(config.sockets);
  } catch (err) {
    if (!(err instanceof RingmasterError)) throw err;
    report.fail(err.code, problemsOf(err), err.message);
    return err.exitCode;
  }
  try {
    report.ok(config, set.list());
  } finally {
    set.close();
  }
  return EXIT.OK;
}

export async function printSchema(): Promise<number> {
  const { configSchema } = await import('../config/index.js');
  out(`${JSON.stringify(configSchema(), null, 2)}\n`);
  return EXIT.OK;
}
