/**
 * The exec shim (see exec-shim.ts for its argv): runs under the child's pid and does what
 * Node cannot do between fork and exec, then replaces itself with the command.
 *
 * - With a terminal on stdin that belongs to someone else's session (ringmaster started
 *   from a developer's shell): like tini, the child gets a process group of its own and
 *   that group becomes the terminal's foreground, so Ctrl-C and Ctrl-Z reach the child,
 *   not ringmaster, and an interactive shell has job control.
 * - The signal mask and ignored signals ringmaster inherited (Node and libuv reset both).
 *
 * When the command cannot run, one line in ringmaster's log format says so (code
 * RM_SPAWN_NOT_FOUND or RM_SPAWN) and the exit code is 127 or 126, as for any command
 * ringmaster starts.
 */
import { createLogger } from '../log/logger.js';
import { EXIT, exitCodeFor } from '../errors/codes.js';
import { spawnFailureCode } from '../errors/spawn.js';
import { execvp, takeForeground } from '../sys/libc.js';
import { parseShimArgs } from './exec-shim.js';

const parsed = parseShimArgs(process.argv.slice(2));
const log = createLogger({ format: parsed?.logFormat === 'json' ? 'json' : 'text' });
if (parsed === undefined) {
  log.error('foreground-exec: usage: FORMAT FDS TTY SIGNALS FILE ARGS...', { argv: process.argv.slice(2).join(' ') });
  process.exit(EXIT.USAGE);
}
const { task, file, args } = parsed;
if (task.foreground) {
  try {
    takeForeground(0);
  } catch (err) {
    // The terminal went away, or stdin was never ours to give: run the command all the same.
    log.debug('could not give the terminal to the child', { error: (err as Error).message });
  }
}
try {
  execvp(file, args, task.fds, task.signals);
} catch (err) {
  const errno = (err as NodeJS.ErrnoException).code;
  const code = spawnFailureCode(errno);
  log.error(`${code === 'RM_SPAWN_NOT_FOUND' ? 'command not found' : 'cannot execute'}: ${file}`, { code, errno });
  process.exit(exitCodeFor(code));
}
