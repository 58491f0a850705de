/**
 * The exit codes `ringmaster serve` gives. serve runs inside workers and imports none of the
 * init's modules, so these are written out here; they are entries of the registry in
 * src/errors/exit.ts, and test/unit/codes.test.ts checks that they agree with it.
 */
export const SERVE_EXIT = { OK: 0, FAILED: 1, USAGE: 64 } as const;
