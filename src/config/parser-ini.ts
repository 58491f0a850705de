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
 */
import { issue } from './errors.js';
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
}

/** A new, empty document to parse one or more files into. */
export function emptyIniDoc(): IniDoc {
  return { sections: new Map(), issues: [], warnings: [] };
}

/** Parse `text` into `doc` (keys already present win over those in `text`). */
export function parseIni(text: string, file: string, doc: IniDoc = emptyIniDoc()): IniDoc {
  const lines = text.split(/\r\n|\n|\r/);
  const lineAt = (line: number): SourcePos => ({ file, line, column: 1 });
  let section: IniSection | undefined;
  /** the value being continued; a dummy when its key was a duplicate */
  let current: { lines: string[]; entry: IniEntry | undefined } | undefined;
  const finish = (): void => {
    if (current?.entry) current.entry.value = current.lines.join('\n');
    current = undefined;
  };
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    if (line.trim() === '' || line[0] === '#' || line[0] === ';') return;
    if (/^[rR][eE][mM](\s|$)/.test(line)) return;
    if (/^\s/.test(line)) {
      if (current) {
        const v = line.trim();
        if (v !== '') current.lines.push(v);
        return;
      }
      if (section) {
        doc.issues.push(issue(section.name, 'indented line continues no value; remove the indentation', lineAt(lineNo)));
        return;
      }
    }
    const header = /^\[(.+)\]/.exec(line);
    if (header) {
      finish();
      const name = (header[1] as string).trim();
      const existing = doc.sections.get(name);
      section = existing ?? { name, pos: { file, line: lineNo, column: 1 }, entries: new Map() };
      if (!existing) doc.sections.set(name, section);
      return;
    }
    const opt = /^(.*?)\s*([=:])\s*(.*)$/.exec(line);
    const key = opt?.[1]?.trim() ?? '';
    if (!section) {
      doc.issues.push(
        issue('', `"${line.trim()}" is outside any section; start the file with a section such as [watcher:NAME]`, lineAt(lineNo)),
      );
      return;
    }
    if (!opt || key === '') {
      doc.issues.push(
        issue(section.name, `cannot read "${line.trim()}"; write KEY = VALUE, [SECTION], or a comment starting with #`, lineAt(lineNo)),
      );
      return;
    }
    finish();
    let value = opt[3] as string;
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
    if (first) section.entries.set(key, entry);
    else {
      const where = (p: SourcePos): string => `${p.file}:${p.line}`;
      doc.warnings.push(`[${section.name}] ${key} at ${where(entry.keyPos)} is ignored: it is set already at ${where(earlier.keyPos)} (the first one counts, as in Circus)`);
    }
    current = { lines: [value], entry: first ? entry : undefined };
  });
  finish();
  return doc;
}
