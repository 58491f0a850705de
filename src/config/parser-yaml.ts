/**
 * YAML to the common tree. The `yaml` package is loaded on this path only (with a lazy
 * require: the loader is synchronous, and an INI config must not pay for the YAML
 * parser's memory). `parseDocument` keeps node ranges, from which every value and key
 * gets its line and column.
 *
 * String values get `${VAR}` interpolation; a string that changed is marked textual, so
 * that `numprocesses: ${WORKERS}` is coerced to a number like an INI value would be.
 *
 * Bounded (config/limits.ts), because the walk below resolves aliases itself (the
 * package's own alias limit applies only to its toJS): before the package parses, a
 * pass of its lexer counts tokens and nesting (the composer recurses once per level);
 * the walk counts alias expansions and the nodes of the tree it builds. Anchors are
 * resolved from one table built in one pass (Alias.resolve walks the whole document at
 * every call), and duplicate keys are found with the map being built (the package's
 * `uniqueKeys` compares every key with every other).
 */
import type { Alias, Document, Node as YamlNode } from 'yaml';
import { requireVendored } from './vendored.js';
import { issue } from './errors.js';
import { interpolateEnv, keyed, type ReadFileValue } from './interpolate.js';
import { limitIssue, MAX_ALIASES, MAX_DEPTH, MAX_NAME_LENGTH, MAX_NODES, MAX_YAML_TOKENS, type LimitName } from './limits.js';
import { emptySource, newMap, pathKey, reservedName, type RawSource } from './tree.js';
import type { ConfigIssue, SourcePos } from './types.js';

type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;

/** The `yaml` package, loaded on first use. */
export function loadYaml(): YamlModule {
  yamlModule ??= requireVendored('yaml') as YamlModule;
  return yamlModule;
}

/** At most this many YAML syntax errors are listed (one mistake often makes several). */
const MAX_SYNTAX_ERRORS = 20;

/** Parse YAML text into the common tree; syntax errors become issues. */
export function yamlSource(text: string, file: string, env: NodeJS.ProcessEnv, readFile?: ReadFileValue): RawSource {
  const YAML = loadYaml();
  const src = emptySource('yaml', [file]);
  const lc = new YAML.LineCounter();
  const posAt = (offset: number): SourcePos => {
    const { line, col } = lc.linePos(offset);
    return { file, line, column: col };
  };
  const over = prescan(YAML, text, file, (offset) => {
    // the line counter is filled by the parser, which has not run yet
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    return { file, line, column: offset - before.lastIndexOf('\n') };
  });
  if (over) {
    src.issues.push(over);
    return src;
  }
  // Each syntax error is an Error: without this, broken input pays a stack trace per error.
  const traces = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let doc: Document;
  try {
    doc = YAML.parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  } finally {
    Error.stackTraceLimit = traces;
  }
  if (doc.errors.length > 0) {
    for (const e of doc.errors.slice(0, MAX_SYNTAX_ERRORS)) src.issues.push(issue('RM_CONFIG_SYNTAX', '', syntaxMessage(e.code, e.message), posAt(e.pos[0])));
    const more = doc.errors.length - MAX_SYNTAX_ERRORS;
    if (more > 0) src.issues.push(issue('RM_CONFIG_SYNTAX', '', `YAML: ${more} more syntax errors in ${file}`, undefined));
    return src;
  }
  const top = doc.contents;
  if (top === null || (YAML.isScalar(top) && top.value === null)) return src;
  if (!YAML.isMap(top)) {
    src.issues.push(issue('RM_CONFIG_VALUE', '', 'the top level must be a map with keys ringmaster, sockets, watchers, env', posAt(top.range?.[0] ?? 0)));
    return src;
  }
  const walker = new Walker(YAML, doc, src, env, posAt, readFile);
  const data = walker.walk(top, [], 0) as Record<string, unknown>;
  if (walker.stopped) return src;
  // `sockets:` with nothing under it means no sockets, not a null to complain about
  for (const [k, v] of Object.entries(data)) if (v === null) delete data[k];
  src.data = data;
  return src;
}

/** The package's message in ringmaster's words where it speaks of its own API. */
function syntaxMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') {
    return 'YAML: a configuration is one document, and a second one starts here (after "---" or "..."); remove it, or put it in a file of its own';
  }
  if (code === 'RESOURCE_EXHAUSTION') return 'YAML: collections are nested too deep to read; a configuration needs only a few levels';
  return `YAML: ${message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '')}`;
}

/**
 * The lexer's pass: more tokens (spaces, newlines and comments aside) than MAX_YAML_TOKENS,
 * or collections nested deeper than MAX_DEPTH, is a limit issue. Nesting is estimated from
 * above: flow brackets open, plus block indentation levels, plus `-`/`?` on the line.
 */
function prescan(Y: YamlModule, text: string, file: string, posAt: (offset: number) => SourcePos): ConfigIssue | undefined {
  let tokens = 0;
  let offset = 0;
  let flow = 0;
  let lineStart = true;
  let indent = 0;
  let inline = 0;
  const levels: number[] = [];
  /** a block scalar's header was seen: its body comes as the token after the next marker */
  let header = false;
  let skip = 0;
  const fail = (what: LimitName, seen: string, max: number, at: number): ConfigIssue => limitIssue(file, what, seen, max, posAt(at));
  for (const tok of new Y.Lexer().lex(text)) {
    const at = offset;
    // the lexer's control tokens (doc mode, flow error end, scalar marker) are not source text
    if (tok !== '\x02' && tok !== '\x18' && tok !== '\x1f') offset += tok.length;
    const type = Y.CST.tokenType(tok);
    if (skip > 0) {
      skip--;
      continue;
    }
    if (type === 'newline') {
      lineStart = true;
      indent = 0;
      inline = 0;
      continue;
    }
    if (type === 'space' || type === 'comment') {
      if (lineStart && type === 'space') indent = tok.length;
      continue;
    }
    if (type === null || type === 'doc-mode' || type === 'flow-error-end') continue;
    if (header && type === 'scalar') {
      header = false;
      skip = 1;
      continue;
    }
    if (++tokens > MAX_YAML_TOKENS) return fail('tokens', `at least ${tokens}`, MAX_YAML_TOKENS, at);
    if (lineStart && flow === 0) {
      while (levels.length > 0 && (levels[levels.length - 1] as number) >= indent) levels.pop();
      levels.push(indent);
    }
    lineStart = false;
    if (type === 'flow-seq-start' || type === 'flow-map-start') flow++;
    else if ((type === 'flow-seq-end' || type === 'flow-map-end') && flow > 0) flow--;
    else if (type === 'seq-item-ind' || type === 'explicit-key-ind') inline++;
    else if (type === 'block-scalar-header') header = true;
    const depth = flow + levels.length + inline;
    if (depth > MAX_DEPTH) return fail('depth', `at least ${depth}`, MAX_DEPTH, at);
  }
  return undefined;
}

class Walker {
  readonly #Y: YamlModule;
  readonly #src: RawSource;
  readonly #env: NodeJS.ProcessEnv;
  readonly #readFile: ReadFileValue | undefined;
  readonly #posAt: (offset: number) => SourcePos;
  /** each alias's node: the last node before it with its anchor */
  readonly #anchored = new Map<Alias, YamlNode | undefined>();
  #nodes = 0;
  #aliases = 0;
  /** a limit was hit: the walk returns nulls from here on */
  stopped = false;

  constructor(Y: YamlModule, doc: Document, src: RawSource, env: NodeJS.ProcessEnv, posAt: (o: number) => SourcePos, readFile: ReadFileValue | undefined) {
    this.#Y = Y;
    this.#readFile = readFile;
    this.#src = src;
    this.#env = env;
    this.#posAt = posAt;
    const last = new Map<string, YamlNode>();
    Y.visit(doc, {
      Node: (_key, node) => {
        if (Y.isAlias(node)) this.#anchored.set(node, last.get(node.source));
        else if (node.anchor !== undefined) last.set(node.anchor, node);
      },
    });
  }

  #stop(what: LimitName, seen: string, max: number, node: YamlNode): null {
    this.stopped = true;
    this.#src.issues.push(limitIssue(this.#src.files[0] as string, what, seen, max, this.#posAt(node.range?.[0] ?? 0)));
    return null;
  }

  walk(node: unknown, path: string[], depth: number): unknown {
    const Y = this.#Y;
    if (this.stopped || !Y.isNode(node)) return null;
    if (++this.#nodes > MAX_NODES) return this.#stop('nodes', `at least ${this.#nodes}`, MAX_NODES, node);
    if (depth > MAX_DEPTH) return this.#stop('depth', `at least ${depth}`, MAX_DEPTH, node);
    if (Y.isAlias(node)) {
      if (++this.#aliases > MAX_ALIASES) return this.#stop('aliases', `at least ${this.#aliases}`, MAX_ALIASES, node);
      return this.walk(this.#anchored.get(node), path, depth + 1);
    }
    const n = node as YamlNode;
    const k = pathKey(path);
    if (n.range) this.#src.pos.set(k, this.#posAt(n.range[0]));
    if (Y.isMap(n)) {
      const out = newMap();
      for (const pair of n.items) {
        const key = Y.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const kr = Y.isNode(pair.key) ? pair.key.range : undefined;
        const keyPos = kr ? this.#posAt(kr[0]) : undefined;
        if (key.length > MAX_NAME_LENGTH) return this.#stop('nameLength', String(key.length), MAX_NAME_LENGTH, pair.key as YamlNode);
        const childPath = [...path, key];
        const ck = pathKey(childPath);
        const refused = reservedName(key, 'a key', childPath.join('.'), keyPos);
        if (refused || Object.hasOwn(out, key)) {
          const first = this.#src.keyPos.get(ck);
          const text = `YAML: key "${key}" appears twice in this map (first at line ${first?.line}); remove one`;
          this.#src.issues.push(refused ?? issue('RM_CONFIG_CONFLICT', childPath.join('.'), text, keyPos, key));
          continue;
        }
        if (keyPos) this.#src.keyPos.set(ck, keyPos);
        if (pair.value === null && kr) this.#src.pos.set(ck, this.#posAt(kr[1]));
        out[key] = this.walk(pair.value, childPath, depth + 1);
      }
      return out;
    }
    if (Y.isSeq(n)) return n.items.map((item, i) => this.walk(item, [...path, String(i)], depth + 1));
    if (Y.isScalar(n)) {
      const v = n.value;
      if (n.type === 'PLAIN' && typeof v === 'number' && n.source !== undefined) this.#src.raw.set(k, n.source);
      if (typeof v !== 'string') return v;
      const r = interpolateEnv(v, this.#env, this.#readFile);
      for (const p of r.problems) this.#src.issues.push(issue('RM_CONFIG_REFERENCE', path.join('.'), keyed(path.join('.'), p), this.#src.pos.get(k), v));
      if (r.changed) this.#src.textual.add(k);
      if (r.secrets.length > 0) {
        this.#src.secret.add(k);
        this.#src.secretTexts.push(...r.secrets);
      }
      return r.value;
    }
    return null;
  }
}
