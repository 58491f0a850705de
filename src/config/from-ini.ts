/**
 * INI sections to the common tree: `[circus]`/`[ringmaster]` -> `ringmaster`,
 * `[socket:NAME]` -> `sockets.name` (lower-cased, as Circus does), `[watcher:NAME]` ->
 * `watchers.NAME` and `[task:NAME]` -> `tasks.NAME` (case kept), `[env]` -> `env`,
 * `[env:PATTERNS]` kept aside until every watcher and task is known. `[plugin:NAME]` is warned about. Sections with no keys are skipped.
 *
 * Every value gets `${VAR}` interpolation here; `[env]` values then get Circus's `$NAME`
 * expansion. Option values stay strings (marked textual) until coercion.
 */
import { at, issue } from './errors.js';
import { readIniWithIncludes } from './ini-includes.js';
import { expandDollarNames, interpolateEnv, keyed, type ReadFileValue } from './interpolate.js';
import type { IniSection } from './parser-ini.js';
import { closest } from './suggest.js';
import type { Budget } from './limits.js';
import { emptySource, newMap, pathKey, reservedName, setAt, type RawSource } from './tree.js';
import type { SourcePos } from './types.js';

const KINDS = ['ringmaster', 'circus', 'socket:NAME', 'watcher:NAME', 'task:NAME', 'env', 'env:PATTERNS'];

/** Read Circus-style INI text (and its includes) into the common tree. */
export function iniSource(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  budget: Budget,
  readers?: (fromFile: string | undefined) => ReadFileValue,
): RawSource {
  const { doc, files, warnings } = readIniWithIncludes(text, file, cwd, budget);
  const src = emptySource('ini', files);
  src.issues.push(...doc.issues);
  src.warnings.push(...warnings, ...doc.warnings);
  if (doc.full) return src;
  for (const section of doc.sections.values()) {
    if (section.entries.size === 0) continue;
    const where = mapSection(section, src);
    if (where === undefined) continue;
    const names = where.kind === 'env' ? (where.patterns ?? []) : where.path.slice(1);
    const reserved = names.map((n) => reservedName(n, 'a name', `[${section.name}]`, section.pos)).find(Boolean);
    if (reserved) {
      src.issues.push(reserved);
      continue;
    }
    if (where.kind === 'env') {
      const values = envValues(section, env, src, readers);
      if (where.patterns) src.envPatterns.push({ patterns: where.patterns, env: values });
      else for (const [k, v] of Object.entries(values)) setValue(src, ['env', k], v, section, k, false);
      continue;
    }
    for (const [key, entry] of section.entries) {
      if (where.path[0] === 'ringmaster' && (key === 'include' || key === 'include_dir')) continue;
      if (refused(src, section, key, entry.keyPos)) continue;
      const r = interpolateEnv(entry.value, env, readers?.(entry.pos.file));
      for (const p of r.problems) src.issues.push(issue('RM_CONFIG_REFERENCE', [...where.path, key].join('.'), keyed([...where.path, key].join('.'), p), entry.pos, entry.value));
      setValue(src, [...where.path, key], r.value, section, key, true);
      keepSecrets(src, [...where.path, key], r.secrets);
    }
  }
  return src;
}

type Where = { kind: 'options'; path: string[] } | { kind: 'env'; patterns: string[] | undefined };

function mapSection(section: IniSection, src: RawSource): Where | undefined {
  const name = section.name;
  const colon = name.indexOf(':');
  const kind = colon < 0 ? name : name.slice(0, colon);
  const arg = colon < 0 ? '' : name.slice(colon + 1).trim();
  if (name === 'circus' || name === 'ringmaster') return { kind: 'options', path: ['ringmaster'] };
  if (name === 'env') return { kind: 'env', patterns: undefined };
  if (kind === 'env' && arg !== '') {
    return { kind: 'env', patterns: arg.split(',').map((p) => p.trim()).filter(Boolean) };
  }
  if (kind === 'socket' && arg !== '') return { kind: 'options', path: ['sockets', arg.toLowerCase()] };
  if (kind === 'watcher' && arg !== '') return { kind: 'options', path: ['watchers', arg] };
  if (kind === 'task' && arg !== '') return { kind: 'options', path: ['tasks', arg] };
  if (kind === 'plugin') {
    const instead = 'ringmaster has built-in backoff and /metrics';
    src.warnings.push(`[${name}]: plugins are not supported (${instead}); section ignored${at(section.pos)}`);
    return undefined;
  }
  if (name === 'DEFAULT') {
    src.warnings.push(`[DEFAULT]: default values for every section are not supported; section ignored${at(section.pos)}`);
    return undefined;
  }
  const guess = closest(kind, ['ringmaster', 'circus', 'socket', 'watcher', 'task', 'env', 'plugin']);
  const hint = guess === undefined ? '' : `; did you mean [${guess}${arg === '' ? '' : `:${arg}`}]?`;
  src.issues.push(
    issue('RM_CONFIG_UNKNOWN_KEY', name, `[${name}] is not a known section (${KINDS.map((k) => `[${k}]`).join(', ')})${hint}`, section.pos, name),
  );
  return undefined;
}

/** A key named `__proto__`: reported, and true. */
function refused(src: RawSource, section: IniSection, key: string, pos: SourcePos): boolean {
  const reserved = reservedName(key, 'a key', `[${section.name}] ${key}`, pos);
  if (reserved) src.issues.push(reserved);
  return reserved !== undefined;
}

/** Values that hold text read with ${file:}: marked, so that no message shows them. */
function keepSecrets(src: RawSource, path: string[], secrets: string[]): void {
  if (secrets.length === 0) return;
  src.secret.add(pathKey(path));
  src.secretTexts.push(...secrets);
}

function envValues(section: IniSection, env: NodeJS.ProcessEnv, src: RawSource, readers?: (fromFile: string | undefined) => ReadFileValue): Record<string, string> {
  const out = newMap<string>();
  for (const [key, entry] of section.entries) {
    if (refused(src, section, key, entry.keyPos)) continue;
    // Circus's $NAME expansion comes after ${VAR}; with a ${file:}, before it: a secret is
    // taken as is ("pa$Word" stays so)
    const pre = entry.value.includes('${file:') ? expandDollarNames(entry.value, env) : undefined;
    const r = interpolateEnv(pre?.value ?? entry.value, env, readers?.(entry.pos.file));
    for (const p of r.problems) src.issues.push(issue('RM_CONFIG_REFERENCE', `env.${key}`, keyed(`env.${key}`, p), entry.pos, entry.value));
    src.secretTexts.push(...r.secrets);
    const d = pre ? { value: r.value, unset: pre.unset } : expandDollarNames(r.value, env);
    for (const u of d.unset) src.warnings.push(`[${section.name}] ${key}: $${u} is not set; it expands to ""`);
    out[key] = d.value;
  }
  return out;
}

function setValue(src: RawSource, path: string[], value: string, section: IniSection, key: string, textual: boolean): void {
  const k = pathKey(path);
  // [circus] and [ringmaster], or [socket:Web] and [socket:web], fill the same place: first wins
  if (src.pos.has(k)) return;
  setAt(src.data, path, value);
  const entry = section.entries.get(key);
  if (entry) {
    src.pos.set(k, entry.pos);
    src.keyPos.set(k, entry.keyPos);
  }
  const sectionKey = pathKey(path.slice(0, -1));
  if (!src.keyPos.has(sectionKey)) src.keyPos.set(sectionKey, section.pos);
  if (textual) src.textual.add(k);
}
