/**
 * Schema validation with ajv, every error at once, each turned into a message that
 * names the key path, the value, what is expected and where it is.
 *
 * ajv's compiler is heavy for a PID 1, so `npm run build` compiles the schema to
 * standalone code (scripts/build-validator.mjs -> dist/src/config/validator.generated.cjs).
 * When that file is missing, or was built from another schema (its hash differs), the
 * schema is compiled here at run time instead.
 */
import { createRequire } from 'node:module';
import { formatValue, issue } from './errors.js';
import { MAX_LISTED_ISSUES } from './limits.js';
import { expectOf, optionsOf, specOf, WATCHER_ONLY_HINTS, type Scope } from './options.js';
import { configSchema, schemaHash } from './schema.js';
import { didYouMean } from './suggest.js';
import { dotted, getAt, keyPosOf, optionDepth, pathKey, posOf, type RawSource } from './tree.js';
import type { ConfigIssue } from './types.js';

/** The part of an ajv error we read. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

export type ValidateFunction = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

// from dist/src/config/ or the bundle's dist/src/bundle/: the same depth, so `../config/` is right from both
const requireHere = createRequire(import.meta.url);
let validator: ValidateFunction | undefined;

// The schema's hash as computed at build time: scripts/bundle.mjs defines it in the bundle,
// where it was checked against the validator built just before (hashing the schema costs a
// start ~5 ms). tsc's modules compute it.
declare const __RM_SCHEMA_HASH__: string | undefined;
const expectedHash = (): string => (typeof __RM_SCHEMA_HASH__ === 'string' ? __RM_SCHEMA_HASH__ : schemaHash(configSchema()));

/** Compile the schema with ajv now (the fallback; also used by tests). */
export function compileAtRuntime(): ValidateFunction {
  const mod = requireHere('ajv') as { default: new (o: object) => { compile(s: object): ValidateFunction } };
  const ajv = new mod.default({ allErrors: true, strict: true, allowUnionTypes: true });
  return ajv.compile(configSchema());
}

/** The prebuilt validator if it matches the schema, else undefined. */
export function prebuiltValidator(): ValidateFunction | undefined {
  try {
    const mod = requireHere('../config/validator.generated.cjs') as ValidateFunction & { schemaHash?: string };
    return mod.schemaHash === expectedHash() ? mod : undefined;
  } catch (e) {
    if ((e as { code?: string }).code === 'MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

function getValidator(): ValidateFunction {
  validator ??= prebuiltValidator() ?? compileAtRuntime();
  return validator;
}

const TOP_KEYS = ['ringmaster', 'sockets', 'watchers', 'tasks', 'env'];
const SCOPE_OF: Record<string, Scope> = { ringmaster: 'ringmaster', sockets: 'socket', watchers: 'watcher', tasks: 'task' };

/**
 * Validate the (coerced) data. `reported` holds the option paths already reported by
 * coercion, whose schema errors would repeat them.
 */
export function schemaIssues(src: RawSource, reported: ReadonlySet<string>, validate = getValidator()): ConfigIssue[] {
  if (validate(src.data)) return [];
  const out = new Map<string, ConfigIssue>();
  const errors = validate.errors ?? [];
  for (const [n, e] of errors.entries()) {
    if (out.size >= MAX_LISTED_ISSUES) {
      out.set('', issue('RM_CONFIG_VALUE', '', `${errors.length - n} more schema errors are not listed (the first ${MAX_LISTED_ISSUES} are)`, undefined));
      break;
    }
    const path = e.instancePath === '' ? [] : e.instancePath.slice(1).split('/').map(unescapePointer);
    const x = describe(src, e, path);
    if (x === undefined) continue;
    if (!reported.has(x.path) && !out.has(x.path)) out.set(x.path, x);
  }
  return [...out.values()];
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function describe(src: RawSource, e: SchemaError, path: string[]): ConfigIssue | undefined {
  const top = path[0];
  // inside an option's value (ready: {http: ...}): one message for the option as a whole
  const insideOption = top !== undefined && TOP_KEYS.includes(top) && path.length >= optionDepth(top);
  if (e.keyword === 'additionalProperties' && !insideOption) {
    const key = String(e.params['additionalProperty']);
    return unknownKey(src, [...path, key]);
  }
  if (e.keyword === 'required' && !insideOption) {
    const missing = String(e.params['missingProperty']);
    return issue(
      'RM_CONFIG_MISSING',
      dotted([...path, missing]),
      `${dotted(path)} has no ${missing}; add the command to run, e.g. ${missing}: node server.js`,
      keyPosOf(src, path),
    );
  }
  if (e.keyword === 'propertyNames') {
    const name = String(e.params['propertyName']);
    const what = top === 'env' || path[path.length - 1] === 'env' ? 'variable name' : 'name';
    return issue(
      'RM_CONFIG_VALUE',
      dotted([...path, name]),
      `${dotted(path)}: "${name}" is not a valid ${what}; use letters, digits, _ . - (and no leading . or -)`,
      keyPosOf(src, [...path, name]),
      name,
    );
  }
  if (e.keyword === 'if') return undefined;
  if (top === undefined) return issue('RM_CONFIG_VALUE', '', `the configuration must be a map with keys ${TOP_KEYS.join(', ')}`, undefined);
  const depth = optionDepth(top);
  if (path.length < depth && TOP_KEYS.includes(top)) {
    // a section that is not a map
    const what =
      path.length === 1 && (top === 'sockets' || top === 'watchers' || top === 'tasks')
        ? `a map of ${top.slice(0, -1)} names to their options`
        : top === 'env'
          ? 'a map of variable names to strings'
          : 'a map of options';
    const v = getAt(src.data, path);
    return issue('RM_CONFIG_VALUE', dotted(path), `${dotted(path)} must be ${what}, got ${formatValue(v)}`, posOf(src, path), v);
  }
  const optPath = path.slice(0, depth);
  const scope = SCOPE_OF[top];
  const key = optPath[optPath.length - 1] as string;
  const spec = top === 'env' ? { type: 'env' as const, description: '' } : scope ? specOf(scope, key) : undefined;
  if (top === 'env') {
    const v = getAt(src.data, path);
    return issue('RM_CONFIG_VALUE', dotted(path), `${dotted(path)} must be a string, got ${formatValue(v)}`, posOf(src, path), v);
  }
  if (spec === undefined) return undefined;
  const v = getAt(src.data, optPath);
  // a number as written (99999999999999999999999, not 1e+23)
  const raw = typeof v === 'number' && Number.isFinite(v) ? src.raw.get(pathKey(optPath)) : undefined;
  const shown = raw ?? formatValue(v);
  return issue('RM_CONFIG_VALUE', dotted(optPath), `${dotted(optPath)} must be ${expectOf(spec)}, got ${shown}`, posOf(src, path), v);
}

/** `watchers.web.numprocess is not a known watcher option; did you mean "numprocesses"?` */
export function unknownKey(src: RawSource, path: string[]): ConfigIssue {
  const key = path[path.length - 1] as string;
  const top = path[0] as string;
  const scope = SCOPE_OF[top];
  let text: string;
  if (path.length === 1) {
    text = `"${key}" is not a known top-level key (${TOP_KEYS.join(', ')})${didYouMean(key, TOP_KEYS)}`;
  } else if (scope !== undefined) {
    const kind = scope === 'ringmaster' ? 'global' : scope;
    const why = scope === 'task' ? WATCHER_ONLY_HINTS[key] : undefined;
    if (why !== undefined) {
      text = `${dotted(path)} is a watcher option, not a task option: a task runs once, to completion (${why}); use a watcher for a long-running command`;
    } else {
      text = `${dotted(path)} is not a known ${kind} option${didYouMean(key, Object.keys(optionsOf(scope)))}`;
      if (!text.includes('did you mean')) text += '; see `ringmaster schema` for the options';
    }
  } else text = `${dotted(path)} is not a known key`;
  return issue('RM_CONFIG_UNKNOWN_KEY', dotted(path), text, keyPosOf(src, path), key);
}
