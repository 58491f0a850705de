/**
 * `node foreground-exec.js FORMAT FDS FILE ARGS...`: the command of single-command mode when
 * stdin is a terminal that belongs to someone else's session (ringmaster started from a
 * developer's shell). Like tini, the child gets a process group of its own and that group
 * becomes the terminal's foreground, so Ctrl-C and Ctrl-Z reach the child, not ringmaster,
 * and an interactive shell has job control. Node cannot run code between fork and exec, so
 * this small program does it, then replaces itself with the command (same pid).
 *
 * FORMAT is ringmaster's log format, for the one line written when the command cannot run;
 * the exit code is then 127 (not found) or 126, as for any command ringmaster starts.
 * FDS lists, comma-separated, the fds the command inherits (0,1,2 and any sockets).
 */
import { createLogger, type LogFormat } from '../log/logger.js';
import { execvp, takeForeground } from '../sys/libc.js';

const [format, fds = '', file, ...args] = process.argv.slice(2);
const log = createLogger({ format: format === 'json' ? 'json' : ('text' satisfies LogFormat) });
if (file === undefined) {
  log.error('foreground-exec: no command');
  process.exit(64);
}
try {
  takeForeground(0);
} catch (err) {
  // The terminal went away, or stdin was never ours to give: run the command all the same.
  log.debug('could not give the terminal to the child', { error: (err as Error).message });
}
try {
  execvp(file, args, fds.split(',').filter(Boolean).map(Number));
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  log.error(`${code === 'ENOENT' ? 'command not found' : 'cannot execute'}: ${file}`, { code });
  process.exit(code === 'ENOENT' ? 127 : 126);
}
