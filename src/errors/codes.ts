/**
 * Every error code of ringmaster, one registry in the manner of fastify's lib/errors.js:
 * the code, the exit code it ends the process with (where it ends one) and a one-line
 * description. A code never changes meaning once published; scripts and tests match on it.
 * `ErrorCode` and the narrower unions below are derived from the registry, so a code that
 * is not in it does not compile. The README's tables are generated from it
 * (scripts/code-tables.mjs) and test/unit/codes.test.ts checks that every code is used.
 *
 * Where a code shows up:
 * - `init`: a RingmasterError; the init or a subcommand logs it (`code=RM_...`) and exits.
 * - `config`: a ConfigIssue, one per problem of a configuration (every issue of a
 *   ConfigError has one); the whole configuration is refused with exit 78.
 * - `control`: the answer of the control socket (`{"ok": false, "code": ...}`); `ctl`
 *   prints it and exits 1.
 * - `ctl`: `ringmaster ctl` could not talk to the control socket (ControlClientError).
 */
import { EXIT, type ExitName } from './exit.js';

export { EXIT, EXIT_CODES, type ExitName, type ExitCodeInfo } from './exit.js';

export type CodeScope = 'init' | 'config' | 'control' | 'ctl';

/** One error code: where it shows up, the exit code it leads to, a one-line description. */
export interface ErrorCodeInfo {
  readonly scope: CodeScope;
  readonly exit: ExitName;
  readonly description: string;
}

export const CODES = {
  // init: a RingmasterError
  RM_USAGE: { scope: 'init', exit: 'USAGE', description: 'bad command line: an unknown option, a missing value, a command and a config both given' },
  RM_CONFIG: { scope: 'init', exit: 'CONFIG', description: 'the configuration is invalid (each problem has an RM_CONFIG_* code) or none was found' },
  RM_SOCKET: { scope: 'init', exit: 'OSERR', description: 'a socket cannot be bound or its file made (address in use, a directory missing, a stale file)' },
  RM_PRIVILEGES: { scope: 'init', exit: 'OSERR', description: 'a user or group names nobody, or the privilege drop failed' },
  RM_SPAWN: { scope: 'init', exit: 'NOT_EXECUTABLE', description: 'the command cannot be executed (not executable, not a binary)' },
  RM_SPAWN_NOT_FOUND: { scope: 'init', exit: 'NOT_FOUND', description: 'the command was not found' },
  RM_INTERNAL: { scope: 'init', exit: 'SOFTWARE', description: 'a bug in ringmaster; the log line has the stack' },

  // config: one per ConfigIssue
  RM_CONFIG_FILE: { scope: 'config', exit: 'CONFIG', description: 'a file or directory of the configuration cannot be read (missing, not a file, no permission)' },
  RM_CONFIG_SYNTAX: { scope: 'config', exit: 'CONFIG', description: 'the text is not YAML or INI that can be read' },
  RM_CONFIG_UNKNOWN_KEY: { scope: 'config', exit: 'CONFIG', description: 'a key, section or resource limit that ringmaster does not know (the message suggests the closest)' },
  RM_CONFIG_MISSING: { scope: 'config', exit: 'CONFIG', description: 'a required key is missing (a watcher without cmd)' },
  RM_CONFIG_VALUE: { scope: 'config', exit: 'CONFIG', description: 'a value of the wrong type, out of range, or not one of the choices' },
  RM_CONFIG_REFERENCE: { scope: 'config', exit: 'CONFIG', description: 'a name that refers to nothing: a socket or watcher that is not defined, a variable that is not set' },
  RM_CONFIG_CONFLICT: { scope: 'config', exit: 'CONFIG', description: 'two entries that cannot both be: the same name twice, two sockets on one address' },
  RM_CONFIG_LIMIT: { scope: 'config', exit: 'CONFIG', description: 'the configuration is over a parse limit (its size, depth, aliases, watchers...)' },

  // control: the control socket's answer
  RM_CTL_BAD_REQUEST: { scope: 'control', exit: 'FAILED', description: 'the request line is not a JSON object, or too long' },
  RM_CTL_UNKNOWN_COMMAND: { scope: 'control', exit: 'FAILED', description: 'the request names no command the socket knows' },
  RM_CTL_BAD_ARGUMENT: { scope: 'control', exit: 'FAILED', description: 'a missing, extra or ill-typed field, a number out of range, a signal that names none' },
  RM_CTL_FORBIDDEN: { scope: 'control', exit: 'FAILED', description: "the sender is neither the init's user nor root" },
  RM_CTL_UNKNOWN_WATCHER: { scope: 'control', exit: 'FAILED', description: 'no watcher has that name (the message lists them)' },
  RM_CTL_BAD_NUMBER: { scope: 'control', exit: 'FAILED', description: 'a number of processes that is not an integer >= 0' },
  RM_CTL_BAD_SIGNAL: { scope: 'control', exit: 'FAILED', description: 'a signal that names none' },
  RM_CTL_ROLLOUT_FAILED: { scope: 'control', exit: 'FAILED', description: 'a rolling restart stopped: a new worker did not become ready; the old ones are kept' },
  RM_CTL_RELOAD_FAILED: { scope: 'control', exit: 'FAILED', description: 'the reload was refused and nothing changed (the message has the RM_* code of why)' },
  RM_CTL_INTERNAL: { scope: 'control', exit: 'FAILED', description: "a bug in ringmaster while serving the request; the init's log has the stack" },

  // ctl: `ringmaster ctl` could not talk to the socket
  RM_CTL_UNREACHABLE: { scope: 'ctl', exit: 'UNAVAILABLE', description: 'the control socket cannot be reached: no file, nobody listening, no permission' },
  RM_CTL_TIMEOUT: { scope: 'ctl', exit: 'FAILED', description: 'no answer within --timeout' },
  RM_CTL_NO_ANSWER: { scope: 'ctl', exit: 'FAILED', description: 'the connection closed before the answer came' },
  RM_CTL_BAD_ANSWER: { scope: 'ctl', exit: 'FAILED', description: 'the answer was not a response line' },
} as const satisfies Record<string, ErrorCodeInfo>;

/** Every code ringmaster gives. */
export type ErrorCode = keyof typeof CODES;

/** The codes of one scope. */
export type CodeOf<S extends CodeScope> = { [K in ErrorCode]: (typeof CODES)[K]['scope'] extends S ? K : never }[ErrorCode];

/** The code of a ConfigIssue. */
export type ConfigIssueCode = CodeOf<'config'>;
/** The code of a ControlError: what the control socket answers. */
export type ControlCode = CodeOf<'control'>;
/** Why `ringmaster ctl` could not talk to the control socket (a ControlClientError's code). */
export type ClientFailure = CodeOf<'ctl'>;

/** The codes the control socket itself gives (the Controller adds its own), by short name. */
export const CTL_CODES = {
  BAD_REQUEST: 'RM_CTL_BAD_REQUEST',
  UNKNOWN_COMMAND: 'RM_CTL_UNKNOWN_COMMAND',
  BAD_ARGUMENT: 'RM_CTL_BAD_ARGUMENT',
  INTERNAL: 'RM_CTL_INTERNAL',
  FORBIDDEN: 'RM_CTL_FORBIDDEN',
} as const satisfies Record<string, ControlCode>;

/** The exit code `code` ends the process with. */
export function exitCodeFor(code: ErrorCode): number {
  return EXIT[CODES[code].exit];
}

/** The code of a RingmasterError: an init code, or RM_CONFIG_LIMIT for a configuration refused unread. */
export type InitCode = CodeOf<'init'> | 'RM_CONFIG_LIMIT';

/** An error a user can act on: a stable code, a message naming the value and the fix. */
export class RingmasterError extends Error {
  readonly code: InitCode;
  /** what the process exits with: the code's, from the registry */
  readonly exitCode: number;
  constructor(code: InitCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RingmasterError';
    this.code = code;
    this.exitCode = exitCodeFor(code);
  }
}

export function usageError(message: string): RingmasterError {
  return new RingmasterError('RM_USAGE', `${message} (see ringmaster --help)`);
}
