/**
 * Where ringmaster's own preload is, as a file URL: what `$(ringmaster.preload)` expands to
 * in a worker's argv and what every worker finds in `RINGMASTER_PRELOAD`. A URL rather than
 * a path, so that an install directory with a space in it survives `shell: true` and
 * NODE_OPTIONS (both split on spaces; the URL has `%20`), and `node --import` takes it from
 * any working directory (the bare `ringmaster/preload` resolves only where ringmaster is in
 * node_modules). Computed, never read: it costs the init no file access.
 */
export const PRELOAD_URL = new URL('../worker/preload.js', import.meta.url).href;
