/**
 * The INI syntax of Circus's `StrictConfigParser` (a RawConfigParser, so no `%`
 * interpolation):
 *
 * - `#` or `;` in the first column, and `rem` lines, are comments; blank lines are skipped.
 * - `key = value` or `key: value` (the first `=` or `:` splits); keys are case-sensitive.
 * - an inline comment starts at a `;` preceded by whitespace.
 * - a line starting with whitespace continues the previous value (joined with `\n`).
 * - a value of `""` is the empty string; `key =` is an empty value.
 * - the first occurrence of a key wins; a repeated section merges into the first.
 *
 * Lines that are none of these are reported all at once, with their line numbers.
 *
 * Bounded (config/limits.ts): sections plus keys of all files of a document, and the
 * length of a section name or key; past a limit the document stops growing and holds
 * the limit's issue. Every line is split without backtracking regexes.
 */
import { issue } from './errors.js';
import { limitIssue, MAX_LISTED_ISSUES, MAX_NAME_LENGTH, MAX_NODES } from './limits.js';
import type { ConfigIssue, SourcePos } from './types.js';

export interface IniEntry {
  value: string;
  pos: SourcePos;
  keyPos: SourcePos;
}

export interface IniSection {
  name: string;
  pos: SourcePos;
  entries: Map<string, IniEntry>;
}

export interface IniDoc {
  /** in order of first appearance */
  sections: Map<string, IniSection>;
  issues: ConfigIssue[];
  /** repeated keys: Circus keeps the first, silently; we keep the first and say so */
  warnings: string[];
  /** sections plus keys so far, against MAX_NODES */
  nodes: number;
  /** a limit was hit: nothing more is read */
  full: boolean;
}

/** A new, empty document to parse one or more files into. */
export function emptyIniDoc(): IniDoc {
  return { sections: new Map(), issues: [], warnings: [], nodes: 0, full: false };
}


/** Parse `text` into `doc` (keys already present win over those in `text`). */
export function parseIni(text: string, file: string, doc: IniDoc = emptyIniDoc()): IniDoc {
  const lines = text.split(/\r\n|\n|\r/);
  const lineAt = (line: number): SourcePos => ({ file, line, column: 1 });
  let unread = 0;
  let ignored = 0;
  const bad = (i: ConfigIssue): void => {
    if (++unread <= MAX_LISTED_ISSUES) doc.issues.push(i);
  };
  /** count a section or key; false (and the document full) past a limit */
  const grow = (name: string, pos: SourcePos): boolean => {
    if (name.length > MAX_NAME_LENGTH) doc.issues.push(limitIssue(file, 'nameLength', name.length, MAX_NAME_LENGTH, pos));
    else if (++doc.nodes > MAX_NODES) doc.issues.push(limitIssue(file, 'nodes', `at least ${doc.nodes}`, MAX_NODES, pos));
    else return true;
    doc.full = true;
    return false;
  };
  let section: IniSection | undefined;
  /** the value being continued; a dummy when its key was a duplicate */
  let current: { lines: string[]; entry: IniEntry | undefined } | undefined;
  const finish = (): void => {
    if (current?.entry) current.entry.value = current.lines.join('\n');
    current = undefined;
  };
  for (let i = 0; i < lines.length && !doc.full; i++) {
    const line = lines[i] as string;
    const lineNo = i + 1;
    if (line.trim() === '' || line[0] === '#' || line[0] === ';') continue;
    if (/^[rR][eE][mM](\s|$)/.test(line)) continue;
    if (/^\s/.test(line)) {
      if (current) {
        const v = line.trim();
        if (v !== '') current.lines.push(v);
        continue;
      }
      if (section) {
        bad(issue('RM_CONFIG_SYNTAX', section.name, 'indented line continues no value; remove the indentation', lineAt(lineNo)));
        continue;
      }
    }
    // Python's SECTCRE, `\[(?P<header>.+)\]`: up to the last "]" of the line
    const close = line.lastIndexOf(']');
    if (line[0] === '[' && close > 1) {
      finish();
      const name = line.slice(1, close).trim();
      const existing = doc.sections.get(name);
      if (!existing && !grow(name, lineAt(lineNo))) break;
      section = existing ?? { name, pos: { file, line: lineNo, column: 1 }, entries: new Map() };
      if (!existing) doc.sections.set(name, section);
      continue;
    }
    // Python's OPTCRE, `(?P<option>.*?)\s*(?P<vi>[=:])\s*(?P<value>.*)$`: the first = or : splits
    const split = line.search(/[=:]/);
    const key = split < 0 ? '' : line.slice(0, split).trim();
    if (!section) {
      bad(issue('RM_CONFIG_SYNTAX', '', `"${short(line)}" is outside any section; start the file with a section such as [watcher:NAME]`, lineAt(lineNo)));
      continue;
    }
    if (split < 0 || key === '') {
      bad(issue('RM_CONFIG_SYNTAX', section.name, `cannot read "${short(line)}"; write KEY = VALUE, [SECTION], or a comment starting with #`, lineAt(lineNo)));
      continue;
    }
    finish();
    let value = line.slice(split + 1).trimStart();
    const valueCol = line.length - value.length + 1;
    const comment = /\s;/.exec(value);
    if (comment) value = value.slice(0, comment.index);
    value = value.trim();
    if (value === '""') value = '';
    const entry: IniEntry = {
      value,
      pos: { file, line: lineNo, column: valueCol },
      keyPos: { file, line: lineNo, column: line.indexOf(key) + 1 },
    };
    const earlier = section.entries.get(key);
    const first = earlier === undefined;
    if (first && !grow(key, entry.keyPos)) break;
    if (first) section.entries.set(key, entry);
    else if (++ignored <= MAX_LISTED_ISSUES) {
      const where = (p: SourcePos): string => `${p.file}:${p.line}`;
      doc.warnings.push(`[${section.name}] ${key} at ${where(entry.keyPos)} is ignored: it is set already at ${where(earlier.keyPos)} (the first one counts, as in Circus)`);
    }
    current = { lines: [value], entry: first ? entry : undefined };
  }
  finish();
  if (ignored > MAX_LISTED_ISSUES) doc.warnings.push(`${file}: ${ignored - MAX_LISTED_ISSUES} more repeated keys are ignored`);
  if (unread > MAX_LISTED_ISSUES) {
    doc.issues.push(issue('RM_CONFIG_SYNTAX', '', `${file}: ${unread - MAX_LISTED_ISSUES} more lines cannot be read (the first ${MAX_LISTED_ISSUES} are listed)`, undefined));
  }
  return doc;
}

/** A line as it appears in a message: trimmed, at most 80 characters. */
function short(line: string): string {
  const t = line.trim();
  return t.length > 80 ? `${t.slice(0, 77)}...` : t;
}
