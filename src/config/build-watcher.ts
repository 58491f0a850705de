/**
 * A validated watcher section to a WatcherConfig: argv from `cmd` and `args`
 * (shlex-split, substitutions kept), the sockets it gets, its env, rlimits and output.
 *
 * The sockets of a watcher: every one its argv names with `$(circus.sockets.NAME)`,
 * `((circus.sockets.NAME))` or `{SOCKET:NAME}` (names compared whole, case-insensitively;
 * Circus matches substrings, so `web` also caught `web2`), plus its `sockets` list, or
 * all of them with `use_sockets`. Naming a socket that does not exist is an error.
 */
import { sectionEnv, type EnvFiles } from './env-files.js';
import { at, issue } from './errors.js';
import { checkExecStrings, commandOf, complainer, rlimitsOf } from './build-command.js';
import type { Budget } from './limits.js';
import { WATCHER_DEFAULTS } from './defaults.js';
import { MAX_SECONDS, SECONDS_UNIT } from './options.js';
import { readyCheck } from './ready.js';
import { whyNotForwarded } from './signals.js';
import { didYouMean } from './suggest.js';
import { dotted, keyPosOf, posOf, type Path, type RawSource } from './tree.js';
import type { ConfigIssue, OutputMode, WatcherConfig } from './types.js';

const SOCKET_REF = /\$\(circus\.sockets\.([\w.-]+)\)|\(\(circus\.sockets\.([\w.-]+)\)\)|\{SOCKET:([\w.-]+)\}/gi;

/** Socket names an argv refers to, lower-cased, in order of appearance. */
export function socketRefs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const word of argv) {
    for (const m of word.matchAll(SOCKET_REF)) {
      const n = (m[1] ?? m[2] ?? m[3] ?? '').toLowerCase();
      if (!out.includes(n)) out.push(n);
    }
  }
  return out;
}

export interface WatcherContext {
  src: RawSource;
  socketNames: readonly string[];
  globalEnv: Readonly<Record<string, string>>;
  /** the global env_file, read */
  globalFiles: EnvFiles;
  /** for reading env_file */
  budget: Budget;
  issues: ConfigIssue[];
  warnings: string[];
}

/** Build one watcher. */
export function buildWatcher(name: string, o: Record<string, unknown>, ctx: WatcherContext): WatcherConfig {
  const { src, issues } = ctx;
  const p = (key: string): Path => ['watchers', name, key];
  const bad = complainer(src, ['watchers', name], o, issues);
  const notice = (key: string, text: string): void => {
    ctx.warnings.push(`${dotted(p(key))}: ${text}${at(keyPosOf(src, p(key)))}`);
  };
  const command = commandOf(o, bad, issues, ['watchers', name]);
  const { argv, cmd } = command;

  const w = { name, argv, cmd, ...WATCHER_DEFAULTS } as WatcherConfig;
  for (const key of Object.keys(WATCHER_DEFAULTS) as Array<keyof typeof WATCHER_DEFAULTS>) {
    if (o[key] !== undefined && key !== 'ready') (w as unknown as Record<string, unknown>)[key] = o[key];
  }
  w.success_exit_codes = Array.isArray(w.success_exit_codes) ? [...new Set(w.success_exit_codes)].sort((a, b) => a - b) : [];
  // resolved to the targets' names by the build (depends.ts); not a list only when the schema already said so
  w.depends_on = Array.isArray(w.depends_on) ? [...w.depends_on] : [];
  const auto = o['numprocesses'];
  if (typeof auto === 'object' && auto !== null && 'auto' in auto) {
    w.numprocesses_auto = (auto as { auto: number }).auto;
    w.numprocesses = 1; // until the init resolves it (src/lifecycle/process-count.ts)
  }
  const mem = o['max_memory'];
  if (typeof mem === 'string' && mem.endsWith('%')) {
    w.max_memory_percent = Number(mem.slice(0, -1));
    w.max_memory = 0; // until the init resolves it (src/lifecycle/memory-limit.ts)
  }
  w.forward_signals = [...w.forward_signals];
  w.ready = readyCheck(o['ready']);
  ({ env_file: w.env_file, env: w.env } = sectionEnv(src, p('env_file'), o['env_file'], ctx, o['env']));
  w.output = (o['output'] as OutputMode | undefined) ?? outputFromStream(o);
  w.rlimits = rlimitsOf(['watchers', name], o, src, issues);
  w.sockets = sockets(name, o, argv, ctx);

  if (w.singleton && w.numprocesses > 1) {
    bad('numprocesses', `must be 0 or 1 for a singleton watcher, got ${w.numprocesses}; lower it or remove singleton`, 'RM_CONFIG_CONFLICT');
  }
  // one timer runs for max_age plus up to max_age_variance (max_age > 0 is always written)
  if (w.max_age > 0 && w.max_age + w.max_age_variance > MAX_SECONDS) {
    const text = `plus max_age_variance (${w.max_age_variance}) must be at most ${MAX_SECONDS} ${SECONDS_UNIT}, got ${w.max_age}; lower one of them`;
    bad('max_age', text);
  }
  if (w.backoff_initial > w.backoff_max) {
    bad('backoff_initial', `must be <= backoff_max (${w.backoff_max}), got ${w.backoff_initial}`, 'RM_CONFIG_CONFLICT');
  }
  for (const s of w.forward_signals) {
    const why = whyNotForwarded(s);
    const fix = `remove it (ringmaster ctl signal ${name} ${s.slice(3)} sends it to them)`;
    if (why !== undefined) bad('forward_signals', `cannot include ${s}: ${why}, so it never reaches the workers; ${fix}`);
  }
  checkExecStrings(command, w.env, bad);
  if (w.shell_args !== undefined && !w.shell) notice('shell_args', 'used only with shell = true; ignored');
  if (o['numprocesses'] === 0 && !w.singleton) notice('numprocesses', '0, so no worker starts until the watcher is scaled up');
  return w;
}

/** Circus stream classes: FancyStdoutStream prefixes lines; StdoutStream is what inherit does. */
function outputFromStream(o: Record<string, unknown>): OutputMode {
  const cls = [o['stdout_stream.class'], o['stderr_stream.class']].map((c) => (typeof c === 'string' ? c.split('.').pop() : undefined));
  return cls.includes('FancyStdoutStream') ? 'prefix' : WATCHER_DEFAULTS.output;
}

function sockets(name: string, o: Record<string, unknown>, argv: readonly string[], ctx: WatcherContext): string[] {
  const known = new Set(ctx.socketNames);
  const out = new Set<string>();
  const want = (s: string, key: string): void => {
    if (known.has(s)) {
      out.add(s);
      return;
    }
    const path = ['watchers', name, key];
    const hint = didYouMean(s, ctx.socketNames) || `; define it under sockets (or as [socket:${s}])`;
    ctx.issues.push(issue('RM_CONFIG_REFERENCE', dotted(path), `${dotted(path)} names socket "${s}", which is not defined${hint}`, posOf(ctx.src, path), s));
  };
  const fromCmd = socketRefs(typeof o['cmd'] === 'string' ? [o['cmd']] : ((o['cmd'] as string[] | undefined) ?? []));
  for (const s of fromCmd) want(s, 'cmd');
  for (const s of socketRefs(argv)) if (!fromCmd.includes(s)) want(s, 'args');
  for (const s of (o['sockets'] as string[] | undefined) ?? []) want(s.toLowerCase(), 'sockets');
  if (o['use_sockets'] === true) for (const s of ctx.socketNames) out.add(s);
  return [...out].sort();
}
