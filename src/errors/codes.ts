/**
 * Stable error codes and the exit codes they map to. A code never changes meaning once
 * published; scripts and tests match on it. Exit codes follow sysexits.h so that they
 * stay clear of the codes a child commonly uses (0-2, 126, 127, 128+n).
 */

/** Exit codes of ringmaster itself (as opposed to the child's, which it passes through). */
export const EXIT = {
  /** everything stopped as asked */
  OK: 0,
  /** bad command line: unknown option, missing value */
  USAGE: 64,
  /** internal error: a bug in ringmaster */
  SOFTWARE: 70,
  /** the OS refused: a socket that cannot be bound, a privilege drop that failed */
  OSERR: 71,
  /** the configuration is invalid */
  CONFIG: 78,
  /** the command could not be executed (not executable, not a binary) */
  NOT_EXECUTABLE: 126,
  /** the command was not found */
  NOT_FOUND: 127,
} as const;

export type ErrorCode =
  | 'RM_USAGE'
  | 'RM_CONFIG'
  /** the configuration is over a parse limit (its size, aliases, watchers...: config/limits.ts) */
  | 'RM_CONFIG_LIMIT'
  | 'RM_SOCKET'
  | 'RM_PRIVILEGES'
  | 'RM_SPAWN'
  | 'RM_INTERNAL';

const EXIT_OF: Record<ErrorCode, number> = {
  RM_USAGE: EXIT.USAGE,
  RM_CONFIG: EXIT.CONFIG,
  RM_CONFIG_LIMIT: EXIT.CONFIG,
  RM_SOCKET: EXIT.OSERR,
  RM_PRIVILEGES: EXIT.OSERR,
  RM_SPAWN: EXIT.NOT_EXECUTABLE,
  RM_INTERNAL: EXIT.SOFTWARE,
};

/** An error a user can act on: a stable code, a message naming the value and the fix. */
export class RingmasterError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RingmasterError';
    this.code = code;
    this.exitCode = options?.exitCode ?? EXIT_OF[code];
  }
}

export function usageError(message: string): RingmasterError {
  return new RingmasterError('RM_USAGE', `${message} (see ringmaster --help)`);
}
