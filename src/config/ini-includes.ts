/**
 * Circus `include` and `include_dir` (`circus/config.py` `read_config`): read from the
 * main file's `[circus]` (or `[ringmaster]`) section only, globs and directories taken
 * relative to the main file, matched files read after it so that the main file's keys
 * win. A pattern that matches nothing is a warning, as in Circus. Not recursive.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { issue } from './errors.js';
import { glob } from './glob.js';
import { emptyIniDoc, parseIni, type IniDoc } from './parser-ini.js';

export interface IniRead {
  doc: IniDoc;
  /** the main file, then each included file */
  files: string[];
  warnings: string[];
}

/** Parse the main INI text and the files it includes. */
export function readIniWithIncludes(text: string, file: string, cwd: string): IniRead {
  const doc = parseIni(text, file, emptyIniDoc());
  const files = [file];
  const warnings: string[] = [];
  const base = dirname(resolve(cwd, file));
  const patterns: Array<{ pattern: string; key: string }> = [];
  for (const name of ['circus', 'ringmaster']) {
    const section = doc.sections.get(name);
    if (!section) continue;
    for (const p of (section.entries.get('include')?.value ?? '').split(/\s+/).filter(Boolean)) {
      patterns.push({ pattern: p, key: 'include' });
    }
    for (const d of (section.entries.get('include_dir')?.value ?? '').split(/\s+/).filter(Boolean)) {
      patterns.push({ pattern: join(d, '*.ini'), key: 'include_dir' });
    }
  }
  for (const { pattern, key } of patterns) {
    const abs = isAbsolute(pattern) ? pattern : resolve(base, pattern);
    const found = glob(abs).filter((f) => f !== resolve(cwd, file));
    if (found.length === 0) {
      warnings.push(`${key}: "${pattern}" matches no file (paths are relative to ${file}); nothing included`);
      continue;
    }
    for (const f of found) {
      if (files.includes(f)) continue;
      files.push(f);
      let content: string;
      try {
        content = readFileSync(f, 'utf8');
      } catch (e) {
        doc.issues.push(issue(key, `cannot read included file ${f}: ${(e as Error).message}`, undefined));
        continue;
      }
      parseIni(content, f, doc);
    }
  }
  return { doc, files, warnings };
}
