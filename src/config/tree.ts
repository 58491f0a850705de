/**
 * The shape both parsers produce before validation: the YAML form as plain data, plus
 * side tables of positions (for messages) and of which strings still need coercing to
 * their option's type (every INI value, and YAML strings that `${VAR}` produced).
 *
 * Paths are arrays of keys (`['watchers', 'web', 'numprocesses']`); the side tables key
 * them by `pathKey`, since names may contain dots.
 *
 * Names are data: every map of the tree has a null prototype (see newMap), so that a
 * watcher named `constructor` is a plain name and no name reaches Object.prototype.
 * `__proto__` is refused by the parsers (reservedName): data that carries it as a key
 * would lose it, or worse, in any ordinary object it is later copied into.
 */
import { at } from './errors.js';
import type { ConfigFormat, ConfigIssue, SourcePos } from './types.js';

export type Path = readonly string[];

/** A `[env:PATTERNS]` section of an INI file. */
export interface EnvPattern {
  patterns: string[];
  env: Record<string, string>;
}

export interface RawSource {
  format: Exclude<ConfigFormat, 'argv'>;
  files: string[];
  data: Record<string, unknown>;
  /** position of each value */
  pos: Map<string, SourcePos>;
  /** position of each key (for unknown-key messages) */
  keyPos: Map<string, SourcePos>;
  /** values that are text to coerce to their option's type */
  textual: Set<string>;
  /** the source text of YAML plain scalars, for octal options (`umask: 022`) */
  raw: Map<string, string>;
  envPatterns: EnvPattern[];
  issues: ConfigIssue[];
  warnings: string[];
  /** each file's directory (absolute), by its label: where its relative env_file and ${file:} paths start */
  dirs: Map<string, string>;
  /** values that hold text read with ${file:} (secrets: never shown in a message) */
  secret: Set<string>;
  /** the texts read with ${file:}, for redacting messages and output */
  secretTexts: string[];
}

/** The side-table key of a path. */
export function pathKey(path: Path): string {
  return path.join('\u0000');
}

/** `watchers.web.numprocesses` */
export function dotted(path: Path): string {
  return path.join('.');
}

/** A map of the tree: no prototype, so that every key is an own, plain name. */
export function newMap<T = unknown>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * The issue for a name that cannot be one (`__proto__`), or undefined. `what` says where
 * it was found: `a watcher name`, `a key`...
 */
export function reservedName(name: string, what: string, path: string, pos: SourcePos | undefined): ConfigIssue | undefined {
  if (name !== '__proto__') return undefined;
  const message = `${path}: "__proto__" cannot be ${what} (JavaScript gives that name a meaning of its own); rename it${at(pos)}`;
  return { code: 'RM_CONFIG_VALUE', path, message, pos, value: name };
}

/** A fragment with nothing in it yet. */
export function emptySource(format: RawSource['format'], files: string[]): RawSource {
  return {
    format,
    files,
    data: newMap(),
    pos: new Map(),
    keyPos: new Map(),
    textual: new Set(),
    raw: new Map(),
    envPatterns: [],
    issues: [],
    warnings: [],
    dirs: new Map(),
    secret: new Set(),
    secretTexts: [],
  };
}

/** Is this a plain object (a YAML map)? */
export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at a path, or undefined. */
export function getAt(data: unknown, path: Path): unknown {
  let cur = data;
  for (const k of path) {
    if (isMap(cur) && Object.hasOwn(cur, k)) cur = cur[k];
    else if (Array.isArray(cur) && /^\d+$/.test(k)) cur = cur[Number(k)];
    else return undefined;
  }
  return cur;
}

/** Set a value, creating maps on the way. */
export function setAt(data: Record<string, unknown>, path: Path, value: unknown): void {
  let cur = data;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (isMap(next)) cur = next;
    else {
      const m = newMap();
      cur[k] = m;
      cur = m;
    }
  }
  cur[path[path.length - 1] as string] = value;
}

/** The best position for a path: its value's, else its key's, else the nearest ancestor's. */
export function posOf(src: Pick<RawSource, 'pos' | 'keyPos'>, path: Path): SourcePos | undefined {
  for (let n = path.length; n > 0; n--) {
    const k = pathKey(path.slice(0, n));
    const p = src.pos.get(k) ?? src.keyPos.get(k);
    if (p) return p;
  }
  return undefined;
}

/** The position of a key (for unknown keys), falling back to posOf. */
export function keyPosOf(src: Pick<RawSource, 'pos' | 'keyPos'>, path: Path): SourcePos | undefined {
  return src.keyPos.get(pathKey(path)) ?? posOf(src, path);
}

/** Copy the side-table entries at and under `path` from one source to another. */
function copySide(from: RawSource, to: RawSource, path: Path): void {
  const prefix = pathKey(path);
  const under = (k: string): boolean => k === prefix || k.startsWith(`${prefix}\u0000`);
  for (const table of ['pos', 'keyPos', 'raw'] as const) {
    for (const k of [...to[table].keys()]) if (under(k)) to[table].delete(k);
    for (const [k, v] of from[table]) if (under(k)) (to[table] as Map<string, unknown>).set(k, v);
  }
  for (const table of ['textual', 'secret'] as const) {
    for (const k of [...to[table]]) if (under(k)) to[table].delete(k);
    for (const k of from[table]) if (under(k)) to[table].add(k);
  }
}

/** Where options live: depth 2 for ringmaster/env, 3 for sockets/watchers/tasks, 1 otherwise. */
export function optionDepth(top: string): number {
  return top === 'sockets' || top === 'watchers' || top === 'tasks' ? 3 : top === 'ringmaster' || top === 'env' ? 2 : 1;
}

/**
 * Merge fragments in order, later ones overriding earlier ones option by option (a
 * watcher defined in two fragments gets the keys of both).
 */
export function mergeSources(sources: readonly RawSource[]): RawSource {
  const first = sources[0];
  if (first === undefined) return emptySource('yaml', []);
  if (sources.length === 1) return first;
  const out = emptySource(first.format, []);
  for (const src of sources) {
    out.files.push(...src.files);
    out.envPatterns.push(...src.envPatterns);
    out.issues.push(...src.issues);
    out.warnings.push(...src.warnings);
    for (const [f, d] of src.dirs) out.dirs.set(f, d);
    out.secretTexts.push(...src.secretTexts);
    walkOptions(src.data, (path, value) => {
      setAt(out.data, path, value);
      copySide(src, out, path);
      // keep the section's own key position for messages about the section
      for (let n = 1; n < path.length; n++) {
        const k = pathKey(path.slice(0, n));
        const p = src.keyPos.get(k);
        if (p && !out.keyPos.has(k)) out.keyPos.set(k, p);
      }
    });
  }
  return out;
}

/** Visit every option-level path of the data (see optionDepth); a malformed section is one leaf. */
export function walkOptions(data: Record<string, unknown>, visit: (path: string[], value: unknown) => void): void {
  for (const [top, v] of Object.entries(data)) {
    const depth = optionDepth(top);
    const rec = (path: string[], value: unknown): void => {
      if (path.length >= depth || !isMap(value) || Object.keys(value).length === 0) {
        visit(path, value);
        return;
      }
      for (const [k, x] of Object.entries(value)) rec([...path, k], x);
    };
    rec([top], v);
  }
}
