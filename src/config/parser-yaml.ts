/**
 * YAML to the common tree. The `yaml` package is loaded on this path only (with a lazy
 * require: the loader is synchronous, and an INI config must not pay for the YAML
 * parser's memory). `parseDocument` keeps node ranges, from which every value and key
 * gets its line and column.
 *
 * String values get `${VAR}` interpolation; a string that changed is marked textual, so
 * that `numprocesses: ${WORKERS}` is coerced to a number like an INI value would be.
 */
import { createRequire } from 'node:module';
import type { Document, Node as YamlNode } from 'yaml';
import { issue } from './errors.js';
import { interpolateEnv } from './interpolate.js';
import { emptySource, pathKey, type RawSource } from './tree.js';
import type { SourcePos } from './types.js';

type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;

/** The `yaml` package, loaded on first use. */
export function loadYaml(): YamlModule {
  yamlModule ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return yamlModule;
}

/** Parse YAML text into the common tree; syntax errors become issues. */
export function yamlSource(text: string, file: string, env: NodeJS.ProcessEnv): RawSource {
  const YAML = loadYaml();
  const src = emptySource('yaml', [file]);
  const lc = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const posAt = (offset: number): SourcePos => {
    const { line, col } = lc.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const text = e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
      src.issues.push(issue('', `YAML: ${text}`, posAt(e.pos[0]), undefined));
    }
    return src;
  }
  const walker = new Walker(YAML, doc, src, env, posAt);
  const top = doc.contents;
  if (top === null || (YAML.isScalar(top) && top.value === null)) return src;
  if (!YAML.isMap(top)) {
    src.issues.push(issue('', 'the top level must be a map with keys ringmaster, sockets, watchers, env', posAt(top.range?.[0] ?? 0)));
    return src;
  }
  const data = walker.walk(top, []) as Record<string, unknown>;
  // `sockets:` with nothing under it means no sockets, not a null to complain about
  for (const [k, v] of Object.entries(data)) if (v === null) delete data[k];
  src.data = data;
  return src;
}

class Walker {
  readonly #Y: YamlModule;
  readonly #doc: Document;
  readonly #src: RawSource;
  readonly #env: NodeJS.ProcessEnv;
  readonly #posAt: (offset: number) => SourcePos;

  constructor(Y: YamlModule, doc: Document, src: RawSource, env: NodeJS.ProcessEnv, posAt: (o: number) => SourcePos) {
    this.#Y = Y;
    this.#doc = doc;
    this.#src = src;
    this.#env = env;
    this.#posAt = posAt;
  }

  walk(node: unknown, path: string[], depth = 0): unknown {
    const Y = this.#Y;
    if (Y.isAlias(node)) return depth > 50 ? null : this.walk(node.resolve(this.#doc), path, depth + 1);
    if (!Y.isNode(node)) return null;
    const n = node as YamlNode;
    const k = pathKey(path);
    if (n.range) this.#src.pos.set(k, this.#posAt(n.range[0]));
    if (Y.isMap(n)) {
      const out: Record<string, unknown> = {};
      for (const pair of n.items) {
        const key = Y.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const childPath = [...path, key];
        const kr = Y.isNode(pair.key) ? pair.key.range : undefined;
        if (kr) this.#src.keyPos.set(pathKey(childPath), this.#posAt(kr[0]));
        if (pair.value === null && kr) this.#src.pos.set(pathKey(childPath), this.#posAt(kr[1]));
        out[key] = this.walk(pair.value, childPath, depth);
      }
      return out;
    }
    if (Y.isSeq(n)) return n.items.map((item, i) => this.walk(item, [...path, String(i)], depth));
    if (Y.isScalar(n)) {
      const v = n.value;
      if (n.type === 'PLAIN' && typeof v === 'number' && n.source !== undefined) this.#src.raw.set(k, n.source);
      if (typeof v !== 'string') return v;
      const r = interpolateEnv(v, this.#env);
      for (const p of r.problems) this.#src.issues.push(issue(path.join('.'), p, this.#src.pos.get(k), v));
      if (r.changed) this.#src.textual.add(k);
      return r.value;
    }
    return null;
  }
}
