/**
 * The steps between parsing and schema validation, on the merged tree:
 *
 * 1. env maps are normalized to strings; `[env:PATTERNS]` sections are folded into the
 *    env of each watcher and task they match (in file order, later sections winning; the
 *    section's own `env` wins over all of them);
 * 2. `$(circus.env.NAME)` is expanded in every option value, from the init's environment
 *    plus `[env]` (plus the section's env inside a watcher or task), as Circus does at load time;
 * 3. every option is coerced to its type, unknown free-form Circus keys and ignored
 *    options are turned into warnings.
 */
import { coerce } from './coerce.js';
import { formatValue, issue, at } from './errors.js';
import { fnmatch } from './fnmatch.js';
import { envLookup, expandCircusEnv } from './interpolate.js';
import { expectOf, freeFormOf, specOf, ENV_SPEC, type Scope } from './options.js';
import { dotted, isMap, pathKey, posOf, keyPosOf, type RawSource } from './tree.js';
import type { ConfigIssue } from './types.js';

export interface Prepared {
  issues: ConfigIssue[];
  warnings: string[];
  /** option paths (dotted) already reported, so that the schema does not repeat them */
  reported: Set<string>;
}

const SCOPES: Array<[string, Scope]> = [
  ['sockets', 'socket'],
  ['watchers', 'watcher'],
  ['tasks', 'task'],
];

/** Run steps 1-3 on `src` in place. */
export function prepare(src: RawSource, env: NodeJS.ProcessEnv): Prepared {
  const out: Prepared = { issues: [], warnings: [], reported: new Set() };
  const data = src.data;
  const coerceAt = (path: string[], scope: Scope | 'env', key: string): void => {
    const spec = scope === 'env' ? ENV_SPEC : specOf(scope, key);
    const parent = path.length === 1 ? data : (getMap(data, path.slice(0, -1)) ?? {});
    if (spec === undefined) {
      const free = scope === 'watcher' ? freeFormOf(key) : undefined;
      if (free) {
        const group = [...path.slice(0, -1), `${free.prefix}*`];
        const line = `${dotted(group)}: ${free.ignored}`;
        if (!out.warnings.some((w) => w.startsWith(line))) out.warnings.push(`${line}${at(keyPosOf(src, path))}`);
      }
      return;
    }
    const k = pathKey(path);
    const value = parent[key];
    if (spec.ignored !== undefined) out.warnings.push(`${dotted(path)}: ${spec.ignored}${at(keyPosOf(src, path))}`);
    const r = coerce(spec, value, src.textual.has(k), src.raw.get(k));
    if (r.ok) {
      parent[key] = r.value;
      return;
    }
    out.reported.add(dotted(path));
    const why = r.reason === undefined ? '' : ` (${r.reason})`;
    out.issues.push(
      issue('RM_CONFIG_VALUE', dotted(path), `${dotted(path)} must be ${r.expect ?? expectOf(spec)}, got ${formatValue(value)}${why}`, posOf(src, path), value),
    );
  };

  // 1. env maps
  if (isMap(data['env'])) coerceAt(['env'], 'env', 'env');
  const globalEnv = stringsOf(data['env']);
  for (const [top, scope] of RUNNABLE) {
    for (const [name, w] of Object.entries(getMap(data, [top]) ?? {})) {
      if (!isMap(w)) continue;
      if (w['env'] !== undefined) coerceAt([top, name, 'env'], scope, 'env');
      const fromPatterns: Record<string, string> = {};
      for (const p of src.envPatterns) if (p.patterns.some((pat) => fnmatch(name, pat))) Object.assign(fromPatterns, p.env);
      if (Object.keys(fromPatterns).length > 0) w['env'] = { ...fromPatterns, ...stringsOf(w['env']) };
    }
  }

  // 2. $(circus.env.NAME)
  const baseLookup = envLookup(env, globalEnv);
  for (const top of ['ringmaster', 'sockets', 'watchers', 'tasks']) {
    const section = getMap(data, [top]);
    if (!section) continue;
    const expandIn = (m: Record<string, unknown>, path: string[], lookup: ReadonlyMap<string, string>): void => {
      for (const [key, v] of Object.entries(m)) {
        if (key === 'env') continue;
        m[key] = expandDeep(v, lookup, () => src.textual.add(pathKey([...path, key])));
      }
    };
    if (top === 'ringmaster') expandIn(section, [top], baseLookup);
    else {
      for (const [name, opts] of Object.entries(section)) {
        if (!isMap(opts)) continue;
        // the base lookup plus this watcher's (task's) env (not the whole process env again for each one)
        const lookup = top === 'watchers' || top === 'tasks' ? new Map([...baseLookup, ...envLookup(stringsOf(opts['env']))]) : baseLookup;
        expandIn(opts, [top, name], lookup);
      }
    }
  }

  // 3. coercion
  const global = getMap(data, ['ringmaster']);
  for (const key of Object.keys(global ?? {})) coerceAt(['ringmaster', key], 'ringmaster', key);
  for (const [top, scope] of SCOPES) {
    for (const [name, opts] of Object.entries(getMap(data, [top]) ?? {})) {
      if (!isMap(opts)) continue;
      for (const key of Object.keys(opts)) if (key !== 'env' || scope === 'socket') coerceAt([top, name, key], scope, key);
    }
  }
  return out;
}

/** The sections whose env gets the [env:PATTERNS] sections their name matches. */
const RUNNABLE: Array<[string, Scope]> = [
  ['watchers', 'watcher'],
  ['tasks', 'task'],
];

function getMap(data: Record<string, unknown>, path: string[]): Record<string, unknown> | undefined {
  let cur: unknown = data;
  for (const k of path) cur = isMap(cur) ? cur[k] : undefined;
  return isMap(cur) ? cur : undefined;
}

function stringsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isMap(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function expandDeep(v: unknown, lookup: ReadonlyMap<string, string>, changed: () => void): unknown {
  if (typeof v === 'string') {
    const r = expandCircusEnv(v, lookup);
    if (r !== v) changed();
    return r;
  }
  if (Array.isArray(v)) return v.map((x) => expandDeep(x, lookup, changed));
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandDeep(x, lookup, changed)]));
  return v;
}
