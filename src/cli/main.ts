/**
 * The entry point: parse argv, pick a mode, run it, exit with its code.
 * The only module that calls process.exit.
 */
import { openFds } from '../sys/proc.js';
import { inheritedFds, socketActivationFds } from '../lifecycle/fds.js';
import { RingmasterError, EXIT } from '../errors/codes.js';
import { createLogger, verbosityFromEnv, type Logger, type LogFormat } from '../log/logger.js';
import { parseRunArgs, USAGE, type RunOptions } from './args.js';
import { version } from './version.js';

// Taken before anything of ours opens a file: what is open now beyond Node's own came from outside.
const INHERITED_AT_START = inheritedFds(openFds());

function makeLogger(o: RunOptions | undefined): Logger {
  const base = verbosityFromEnv(process.env.RINGMASTER_VERBOSITY) ?? 1;
  const envFormat = process.env.RINGMASTER_LOG_FORMAT;
  const format: LogFormat = o?.logFormat ?? (envFormat === 'json' ? 'json' : 'text');
  return createLogger({ verbosity: Math.max(0, Math.min(4, base + (o?.verbosityDelta ?? 0))), format });
}

function exit(code: number): never {
  process.exit(code);
}

async function runCommandMode(o: RunOptions, log: Logger): Promise<number> {
  const [{ InitRuntime }, { CommandInit }, libc] = await Promise.all([
    import('../lifecycle/runtime.js'),
    import('../lifecycle/command-init.js'),
    import('../sys/libc.js'),
  ]);
  const runtime = new InitRuntime({
    log,
    subreaper: o.subreaper,
    warnOnReap: o.warnOnReap,
    parentDeathSignal: o.parentDeathSignal,
  });
  let command = o.command;
  const env = { ...process.env };
  // Socket activation passed to us is meant for the child: LISTEN_PID must name it, and
  // its pid is known only after the fork, so a shell sets it right before exec.
  if (socketActivationFds(env, process.pid).length > 0 && env.LISTEN_PID !== undefined) {
    command = ['/bin/sh', '-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', 'ringmaster-exec', ...command];
  }
  const init = new CommandInit(runtime, {
    command,
    processGroup: o.processGroup,
    gracefulTimeoutMs: o.gracefulTimeoutMs,
    remapExit: o.remapExit,
    passFds: INHERITED_AT_START,
    env,
    cwd: process.cwd(),
  });
  const done = init.run();
  // The child has its own copies now: the init keeps none (a held socket stays bound, a
  // held pipe never reaches EOF) and leaves the invocation's directory (it would pin a mount).
  for (const fd of INHERITED_AT_START) {
    try {
      libc.closeFd(fd);
    } catch (err) {
      log.debug('could not close inherited fd', { fd, error: (err as Error).message });
    }
  }
  try {
    process.chdir('/');
  } catch {
    // no permission on /: harmless
  }
  return done;
}

async function main(argv: readonly string[]): Promise<number> {
  let o: RunOptions | undefined;
  try {
    o = parseRunArgs(argv);
  } catch (err) {
    if (err instanceof RingmasterError) {
      makeLogger(undefined).error(err.message, { code: err.code });
      return err.exitCode;
    }
    throw err;
  }
  const log = makeLogger(o);
  if (o.help) {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }
  if (o.version) {
    process.stdout.write(`ringmaster ${version()}\n`);
    return EXIT.OK;
  }
  if (o.command.length === 0) {
    log.error('no command given: ringmaster [options] -- COMMAND [ARGS...] (see ringmaster --help)', { code: 'RM_USAGE' });
    return EXIT.USAGE;
  }
  return runCommandMode(o, log);
}

main(process.argv.slice(2)).then(exit, (err: unknown) => {
  const log = makeLogger(undefined);
  if (err instanceof RingmasterError) {
    log.error(err.message, { code: err.code });
    exit(err.exitCode);
  }
  log.error(`internal error: ${(err as Error)?.stack ?? String(err)}`, { code: 'RM_INTERNAL' });
  exit(EXIT.SOFTWARE);
});
