/**
 * sun_path, the name field of a unix socket address, and the two spellings of an abstract
 * name at its full length. Node 20 (libuv 1.46) binds and connects an abstract name with the
 * whole of sun_path whatever the name's length, Node 22 and later with the length of the
 * string they are given: a name padded with NULs to the whole field is the same address for
 * both, and for ringmaster's own libc bind. Imports nothing (workers use it).
 */

/** sizeof(sockaddr_un.sun_path) on Linux. */
export const SUN_PATH_BYTES = 108;

/** `path` ('@name' for ringmaster's libc calls) followed by NULs up to the whole of sun_path. */
export function padToSunPath(path: string): string {
  return path + '\0'.repeat(Math.max(0, SUN_PATH_BYTES - Buffer.byteLength(path)));
}

/** Node's spelling of '@name' at that length (a leading NUL, then padded); another path as it is. */
export function nodeSocketPath(path: string): string {
  return path.startsWith('@') ? padToSunPath(`\0${path.slice(1)}`) : path;
}
