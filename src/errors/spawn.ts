/**
 * The code of a command that could not be started, from the errno of its spawn or exec:
 * the shell's convention, as tini's (not found: 127; found but not executable: 126).
 * Shared by command mode, the exec shim and the watchers' exit codes.
 */
import type { ErrorCode } from './codes.js';

export function spawnFailureCode(errno: string | undefined): Extract<ErrorCode, 'RM_SPAWN' | 'RM_SPAWN_NOT_FOUND'> {
  return errno === 'ENOENT' ? 'RM_SPAWN_NOT_FOUND' : 'RM_SPAWN';
}
