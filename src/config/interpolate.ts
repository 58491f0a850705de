/**
 * Four kinds of expansion, applied at load time:
 *
 * - `${VAR}` from the init's environment, in every value of both formats (ours, the
 *   docker-compose syntax): `${VAR:-default}` / `${VAR-default}` supply a default (when
 *   unset or empty / when unset), `${VAR:?message}` makes an unset variable an error with
 *   that message, and `$${` writes a literal `${`. An unset variable without a default is
 *   an error: a silently empty port or path is worse than a refusal.
 * - `${file:PATH}` in the same places: the text of that file without its trailing newline
 *   (a secret mounted as a file), read by the caller's `readFile` (value-files.ts). The text
 *   is not expanded again. `${file:-x}` and `${file:?x}` stay a variable named `file`.
 * - Circus's `$(circus.env.NAME)` / `((circus.env.NAME))`, from the environment plus
 *   `[env]`, case-insensitively; unknown names are left verbatim (as Circus does). Other
 *   `circus.*` keys (`wid`, `sockets.NAME`...) are left for the runtime.
 * - Circus's `$NAME` in `[env]` values, for names matching `[A-Z][A-Z0-9_]*` only (a
 *   mixed-case `$Name` is left alone whole, not expanded as `$N` + `ame`).
 */

const DOLLAR_BRACE = /\$\$\{|\$\{file:(?![-?])([^}]*)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

export interface Interpolated {
  value: string;
  /** whether anything was substituted */
  changed: boolean;
  /** one reason per variable that could not be expanded */
  problems: string[];
  /** the texts that `${file:}` put in (secrets: the caller keeps them out of messages) */
  secrets: string[];
}

/** Reads the file of a `${file:PATH}`: its text, or why not (naming the file, never its content). */
export type ReadFileValue = (path: string) => { ok: true; text: string } | { ok: false; message: string };

/** Expand `${VAR}` forms in `s` from `env`, and `${file:PATH}` with `readFile` (left as written without it). */
export function interpolateEnv(s: string, env: NodeJS.ProcessEnv, readFile?: ReadFileValue): Interpolated {
  if (!s.includes('${')) return { value: s, changed: false, problems: [], secrets: [] };
  const problems: string[] = [];
  const secrets: string[] = [];
  let changed = false;
  // Every match ends at a "}": past the last one, a `${NAME:-` would scan to the end of the
  // string at each of its starts (quadratic on a long value), and can only be `$${`.
  const end = s.lastIndexOf('}') + 1;
  const tail = s.slice(end).replace(/\$\$\{/g, () => {
    changed = true;
    return '${';
  });
  const value = s.slice(0, end).replace(DOLLAR_BRACE, (all, file: string | undefined, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (file !== undefined) {
      if (readFile === undefined) return all;
      changed = true;
      const r = readFile(file.trim());
      if (r.ok) {
        secrets.push(r.text);
        return r.text;
      }
      problems.push(`\${file:${file}}: ${r.message}`);
      return all;
    }
    changed = true;
    if (name === undefined) return '${';
    const v = env[name];
    switch (op) {
      case undefined:
        if (v !== undefined) return v;
        problems.push(`environment variable ${name} is not set; set it, or write \${${name}:-default}`);
        return all;
      case ':-':
        return v === undefined || v === '' ? (arg ?? '') : v;
      case '-':
        return v === undefined ? (arg ?? '') : v;
      case ':?':
      case '?':
        if (v !== undefined && (op === '?' || v !== '')) return v;
        problems.push(`environment variable ${name} is not set: ${arg || 'it is required'}`);
        return all;
      default:
        return all;
    }
  });
  return { value: value + tail, changed, problems, secrets };
}

/** A problem of interpolateEnv with the key it is about: a `${file:}` one names it (those of variables name the variable). */
export function keyed(key: string, problem: string): string {
  return problem.startsWith('${file:') ? `${key}: ${problem}` : problem;
}

/** A case-insensitive view of environment variables, later sources winning. */
export function envLookup(...sources: Array<Record<string, string | undefined>>): Map<string, string> {
  const m = new Map<string, string>();
  for (const src of sources) for (const [k, v] of Object.entries(src)) if (v !== undefined) m.set(k.toLowerCase(), v);
  return m;
}

const CIRCUS_ENV = /\$\(circus\.env\.([\w.-]+)\)|\(\(circus\.env\.([\w.-]+)\)\)/gi;

/** Expand `$(circus.env.NAME)` and `((circus.env.NAME))`; unknown names stay verbatim. */
export function expandCircusEnv(s: string, lookup: ReadonlyMap<string, string>): string {
  if (!s.includes('circus.') && !s.includes('CIRCUS.')) return s;
  return s.replace(CIRCUS_ENV, (all, a: string | undefined, b: string | undefined) => {
    const v = lookup.get((a ?? b ?? '').toLowerCase());
    return v ?? all;
  });
}

/**
 * Circus's `[env]` expansion (`util.parse_env_dict`): `$NAME` for upper-case names, from
 * the init's environment. An unset name expands to the empty string, as in a shell;
 * its name is returned so that the caller can warn.
 */
export function expandDollarNames(s: string, env: NodeJS.ProcessEnv): { value: string; unset: string[] } {
  const unset: string[] = [];
  const value = s.replace(/\$([A-Z][A-Z0-9_]*)(?![A-Za-z0-9_])/g, (_all, name: string) => {
    const v = env[name];
    if (v === undefined) unset.push(name);
    return v ?? '';
  });
  return { value, unset };
}
