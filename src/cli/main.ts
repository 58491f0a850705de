/**
 * The entry point: parse argv, pick a mode, run it, exit with its code.
 * The only module that calls process.exit. Modes load only what they need.
 */
import { openFds } from '../sys/proc.js';
import { inheritedFds, socketActivationFds } from '../lifecycle/fds.js';
import { RingmasterError, EXIT, type ErrorCode } from '../errors/codes.js';
import { createLogger, verbosityFromEnv, LEVELS, type Logger, type LogFormat } from '../log/logger.js';
import { parseRunArgs, USAGE, type RunOptions } from './args.js';
import { version } from './version.js';
import { releaseHeldSignals } from '../lifecycle/early-signals.js';
import type { Config } from '../config/types.js';
import { existsSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';
import { resolve } from 'node:path';
import type { TtyHandoff } from '../lifecycle/command-child.js';
import type { MainCommandOptions } from '../lifecycle/main-command.js';

// Taken before anything of ours opens a file: what is open now beyond Node's own came from outside.
const INHERITED_AT_START = inheritedFds(openFds());

function makeLogger(o: RunOptions | undefined, config?: Config): Logger {
  const fromConfig = config?.ringmaster.loglevel === undefined ? undefined : LEVELS.indexOf(config.ringmaster.loglevel);
  const base = verbosityFromEnv(process.env.RINGMASTER_VERBOSITY) ?? fromConfig ?? (config ? 2 : 1);
  const envFormat = process.env.RINGMASTER_LOG_FORMAT;
  const format: LogFormat = o?.logFormat ?? (envFormat === 'json' || envFormat === 'text' ? envFormat : config?.ringmaster.log_format ?? 'text');
  return createLogger({ verbosity: Math.max(0, Math.min(4, base + (o?.verbosityDelta ?? 0))), format });
}

function exit(code: number): never {
  process.exit(code);
}

async function runtimeFor(o: RunOptions, log: Logger, subreaper = o.subreaper) {
  const { InitRuntime } = await import('../lifecycle/runtime.js');
  return new InitRuntime({ log, subreaper, warnOnReap: o.warnOnReap, parentDeathSignal: o.parentDeathSignal });
}

/** The init keeps no inherited fd (a held socket stays bound, a held pipe never reaches EOF). */
async function closeInherited(log: Logger, fds: readonly number[]): Promise<void> {
  const libc = await import('../sys/libc.js');
  for (const fd of fds) {
    try {
      libc.closeFd(fd);
    } catch (err) {
      log.debug('could not close inherited fd', { fd, error: (err as Error).message });
    }
  }
}

function leaveCwd(): void {
  try {
    process.chdir('/'); // the init must not pin the mount it was started in
  } catch {
    // no permission on /: harmless
  }
}

/**
 * With a terminal on stdin, the child gets it (see TtyHandoff in CommandInit): the whole
 * session when it is ours (docker run -it, kubectl run -it), else the terminal's foreground
 * within the session we run in (a developer's shell), as tini does.
 */
async function ttyHandoff(): Promise<TtyHandoff | undefined> {
  if (!isatty(0)) return undefined;
  const libc = await import('../sys/libc.js');
  let leader: boolean;
  try {
    leader = libc.getsid(0) === process.pid;
  } catch {
    return undefined;
  }
  const foreground: TtyHandoff = { kind: 'foreground' };
  if (!leader) return foreground;
  const setsid = ['/usr/bin/setsid', '/bin/setsid'].find((p) => existsSync(p));
  return setsid ? { kind: 'session', release: () => libc.releaseControllingTerminal(0), setsid } : foreground;
}

async function runCommandMode(o: RunOptions, log: Logger): Promise<number> {
  const [{ CommandInit }, { withListenPid }, { execShim }, { inheritedSignals }] = await Promise.all([
    import('../lifecycle/command-init.js'),
    import('../supervisor/process.js'),
    import('../lifecycle/exec-shim.js'),
    import('../lifecycle/inherited-signals.js'),
  ]);
  const runtime = await runtimeFor(o, log);
  let command = o.command;
  let env = { ...process.env };
  const fdMap: Array<[number, number]> = [];
  let sockets: { close(): void } | undefined;
  if (o.sockets.length > 0) {
    // --socket NAME=URL: bound here, handed to the child as fds 3, 4, ... like a watcher's.
    const [{ socketFromUrl }, { SocketSet }, { handSockets }] = await Promise.all([
      import('../config/socket-url.js'),
      import('../supervisor/socket-set.js'),
      import('../lifecycle/socket-handoff.js'),
    ]);
    const configs = o.sockets.map((spec) => {
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new RingmasterError('RM_USAGE', `--socket takes NAME=URL (e.g. web=tcp://0.0.0.0:8080), got "${spec}"`);
      return socketFromUrl(spec.slice(0, eq), spec.slice(eq + 1));
    });
    const set = await SocketSet.bind(configs);
    sockets = set;
    set.list().forEach((s, i) => log.info('socket listening', { socket: s.name, url: s.url, fd: 3 + i }));
    const handed = handSockets(set.list(), env, command);
    fdMap.push(...handed.fdMap);
    env = handed.env;
    command = handed.command;
  }
  const taken = new Set(fdMap.map(([c]) => c));
  for (const fd of INHERITED_AT_START) if (!taken.has(fd)) fdMap.push([fd, fd]);
  // Socket activation passed to us is meant for the child: LISTEN_PID must name it, and
  // its pid is known only after the fork, so a shell sets it right before exec.
  if ((o.sockets.length > 0 || socketActivationFds(env, process.pid).length > 0) && (env.LISTEN_PID !== undefined || o.sockets.length > 0)) {
    command = withListenPid(command);
  }
  const init = new CommandInit(runtime, {
    command,
    processGroup: o.processGroup,
    gracefulTimeoutMs: o.gracefulTimeoutMs,
    remapExit: o.remapExit,
    fdMap,
    env,
    cwd: process.cwd(),
    ttyHandoff: await ttyHandoff(),
    signals: inheritedSignals(),
    shim: execShim(log.format),
  });
  const done = init.run();
  await closeInherited(log, INHERITED_AT_START);
  leaveCwd();
  try {
    return await done;
  } finally {
    sockets?.close();
  }
}

/**
 * The main command of `ringmaster -c FILE -- CMD` (see MainCommand): what command mode gives
 * its child (-g, -e, the terminal, the inherited signal state), with the config's sockets as
 * its fds. Its modules are loaded now, before the privilege drop.
 */
async function mainCommandOf(o: RunOptions, log: Logger): Promise<MainCommandOptions | undefined> {
  if (o.command.length === 0) return undefined;
  const [{ execShim }, { inheritedSignals }] = await Promise.all([import('../lifecycle/exec-shim.js'), import('../lifecycle/inherited-signals.js')]);
  return {
    command: o.command,
    processGroup: o.processGroup,
    remapExit: o.remapExit,
    env: { ...process.env },
    cwd: process.cwd(),
    ttyHandoff: await ttyHandoff(),
    signals: inheritedSignals(),
    shim: execShim(log.format),
  };
}

async function runConfigMode(o: RunOptions, config: Config, log: Logger): Promise<number> {
  const [{ ConfigInit }, { watchSpecsFor }, { findSource, loadConfigAsync, preloadParsers }, { configEndpoints }, { resolveProcessCounts }, { resolveMemoryLimits }] = await Promise.all([
    import('../lifecycle/config-init.js'),
    import('../lifecycle/config-watch.js'),
    import('../config/index.js'),
    import('./endpoints.js'),
    import('../lifecycle/process-count.js'),
    // before the privilege drop: a reload may bring the first percentage (its imports are loaded already)
    import('../lifecycle/memory-limit.js'),
  ]);
  // max_memory: 40% becomes bytes likewise (a config error when the cgroup has no memory limit)
  const resolveCounts = (c: Config): Config => resolveProcessCounts(resolveMemoryLimits(c));
  for (const w of config.warnings) log.warn(w);
  // numprocesses: auto becomes a number here, at start and on each reload
  config = resolveCounts(config);
  for (const w of config.watchers) {
    if (w.numprocesses_source !== undefined) log.info('numprocesses', { watcher: w.name, numprocesses: w.numprocesses, source: w.numprocesses_source });
    if (w.max_memory > 0) log.info('max_memory', { watcher: w.name, max_memory_bytes: w.max_memory, source: w.max_memory_source });
  }
  const runtime = await runtimeFor(o, log, o.subreaper && config.ringmaster.subreaper);
  const cwd = process.cwd();
  // A reload reads the same source again (relative paths from the invocation's directory).
  const mainCommand = o.command.length > 0;
  const from = { path: o.configPath === undefined ? undefined : resolve(cwd, o.configPath), env: process.env, cwd, mainCommand };
  // ... maybe in another format, after the privilege drop: its parser is loaded now.
  const source = findSource(from);
  preloadParsers(source);
  const load = async (): Promise<Config | null> => ((c) => c && resolveCounts(c))(await loadConfigAsync(from));
  const configDir = from.path !== undefined && statSync(from.path, { throwIfNoEntry: false })?.isDirectory() ? from.path : undefined;
  // RINGMASTER_CONFIG (the text itself) has no file to watch.
  const watch = (c: Config) => (source?.kind === 'path' ? watchSpecsFor(c.source.files.map((f) => resolve(cwd, f)), configDir) : []);
  const endpoints = configEndpoints(config, { env: process.env, cwd, log });
  const main = await mainCommandOf(o, log);
  const init = new ConfigInit(runtime, config, { cwd, load, watch, endpoints, version: version(), ...(main ? { main } : {}) });
  await closeInherited(log, INHERITED_AT_START);
  const done = init.run();
  leaveCwd();
  return done;
}

async function loadConfigFor(o: RunOptions, required: boolean): Promise<Config | null> {
  const { loadConfig } = await import('../config/index.js');
  const config = loadConfig({ path: o.configPath, env: process.env, cwd: process.cwd(), mainCommand: o.command.length > 0 });
  if (!config && required) {
    throw new RingmasterError('RM_CONFIG', 'no configuration found: give -c PATH, RINGMASTER_CONFIG, RINGMASTER_CONFIG_FILE, or /etc/ringmaster/ringmaster.yaml');
  }
  return config;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  check: async (argv) => (await import('./check.js')).check(argv),
  ctl: async (argv) => (await import('./ctl.js')).ctl(argv),
  probe: async (argv) => (await import('./probe.js')).probe(argv),
  schema: async () => (await import('./check.js')).printSchema(),
};

async function main(argv: readonly string[]): Promise<number> {
  const sub = argv[0] === undefined ? undefined : SUBCOMMANDS[argv[0]];
  if (sub) {
    releaseHeldSignals(); // not an init: Ctrl-C ends `ringmaster ctl` as usual
    return sub(argv.slice(1));
  }
  let o: RunOptions;
  try {
    o = parseRunArgs(argv);
  } catch (err) {
    if (err instanceof RingmasterError) {
      makeLogger(undefined).error(err.message, { code: err.code });
      return err.exitCode;
    }
    throw err;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }
  if (o.version) {
    process.stdout.write(`ringmaster ${version()}\n`);
    return EXIT.OK;
  }
  if (o.command.length > 0 && o.configPath === undefined) return runCommandMode(o, makeLogger(o));
  if (o.command.length > 0 && o.sockets.length > 0) {
    throw new RingmasterError('RM_USAGE', 'with -c, the main command gets the config\'s sockets: declare them in the config, not with --socket (see ringmaster --help)');
  }
  const config = await loadConfigFor(o, o.configPath !== undefined);
  if (!config) {
    makeLogger(o).error('no command and no configuration: ringmaster [options] -- COMMAND [ARGS...], or ringmaster -c CONFIG (see ringmaster --help)', { code: 'RM_USAGE' satisfies ErrorCode });
    return EXIT.USAGE;
  }
  return runConfigMode(o, config, makeLogger(o, config));
}

main(process.argv.slice(2)).then(exit, (err: unknown) => {
  const log = makeLogger(undefined);
  if (err instanceof RingmasterError) {
    log.error(err.message, { code: err.code });
    exit(err.exitCode);
  }
  log.error(`internal error: ${(err as Error)?.stack ?? String(err)}`, { code: 'RM_INTERNAL' satisfies ErrorCode });
  exit(EXIT.SOFTWARE);
});
