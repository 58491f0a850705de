/**
 * The exit codes of ringmaster itself (as opposed to the child's, which it passes on), one
 * registry: a name, the number and what it means. They follow sysexits.h so that they stay
 * clear of the codes a child commonly uses (0-2, 126, 127, 128+n); 126 and 127 are the
 * shell's, for a command that cannot run. A number never changes meaning once published.
 *
 * `ringmaster serve` runs inside workers and imports none of this: src/worker/exit.ts holds
 * the three it uses, and test/unit/codes.test.ts checks that they agree with this table.
 */

/** One exit code: its number and a one-line description (the README's table is made of them). */
export interface ExitCodeInfo {
  readonly code: number;
  readonly description: string;
}

export const EXIT_CODES = {
  OK: { code: 0, description: 'done: everything stopped as asked, the request was served, the probe answered 2xx/3xx' },
  FAILED: { code: 1, description: '`ctl`: the init refused the request or gave no answer; `probe`: the endpoint is not healthy; `serve`: the module failed' },
  USAGE: { code: 64, description: 'bad command line: an unknown option, a missing or bad value' },
  UNAVAILABLE: { code: 69, description: '`ctl`: the control socket cannot be reached (no file, nobody listening, no permission)' },
  SOFTWARE: { code: 70, description: 'internal error: a bug in ringmaster (its log has the stack)' },
  OSERR: { code: 71, description: 'the OS refused: a socket that cannot be bound, a privilege drop that failed' },
  CONFIG: { code: 78, description: 'the configuration is invalid, over a parse limit, or not found' },
  NOT_EXECUTABLE: { code: 126, description: 'the command was found but cannot be executed (not executable, not a binary)' },
  NOT_FOUND: { code: 127, description: 'the command was not found' },
} as const satisfies Record<string, ExitCodeInfo>;

export type ExitName = keyof typeof EXIT_CODES;

/** Exit codes by name: `EXIT.CONFIG` is 78. */
export const EXIT = Object.freeze(
  Object.fromEntries(Object.entries(EXIT_CODES).map(([name, info]) => [name, info.code])),
) as { readonly [K in ExitName]: (typeof EXIT_CODES)[K]['code'] };
