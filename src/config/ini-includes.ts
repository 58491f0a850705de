/**
 * Circus `include` and `include_dir` (`circus/config.py` `read_config`): read from the
 * main file's `[circus]` (or `[ringmaster]`) section only, globs and directories taken
 * relative to the main file, matched files read after it so that the main file's keys
 * win. A pattern that matches nothing is a warning, as in Circus. Not recursive.
 *
 * Included files are read as the main file is (config/read-file.ts): regular files only,
 * all files of the configuration together within its byte and file limits.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { issue } from './errors.js';
import { glob } from './glob.js';
import { limitIssue, MAX_GLOB_ENTRIES, MAX_NAME_LENGTH, type Budget } from './limits.js';
import { emptyIniDoc, parseIni, type IniDoc } from './parser-ini.js';
import { readConfigFile } from './read-file.js';

export interface IniRead {
  doc: IniDoc;
  /** the main file, then each included file */
  files: string[];
  warnings: string[];
}

/** Parse the main INI text and the files it includes. */
export function readIniWithIncludes(text: string, file: string, cwd: string, budget: Budget): IniRead {
  const doc = parseIni(text, file, emptyIniDoc());
  const files = [file];
  const warnings: string[] = [];
  const base = dirname(resolve(cwd, file));
  const patterns: Array<{ pattern: string; key: string }> = [];
  for (const name of ['circus', 'ringmaster']) {
    const section = doc.sections.get(name);
    if (!section) continue;
    for (const key of ['include', 'include_dir']) {
      const entry = section.entries.get(key);
      for (const p of (entry?.value ?? '').split(/\s+/).filter(Boolean)) {
        if (p.length > MAX_NAME_LENGTH) {
          doc.issues.push(limitIssue(file, 'nameLength', p.length, MAX_NAME_LENGTH, entry?.pos));
          return { doc, files, warnings };
        }
        patterns.push({ pattern: key === 'include' ? p : join(p, '*.ini'), key });
      }
    }
  }
  for (const { pattern, key } of patterns) {
    if (doc.full) break;
    const abs = isAbsolute(pattern) ? pattern : resolve(base, pattern);
    const g = glob(abs, budget);
    if (g.over) {
      doc.issues.push(limitIssue(file, 'globEntries', `at least ${MAX_GLOB_ENTRIES + 1}`, MAX_GLOB_ENTRIES));
      break;
    }
    const found = g.paths.filter((f) => f !== resolve(cwd, file));
    if (found.length === 0) {
      warnings.push(`${key}: "${pattern}" matches no file (paths are relative to ${file}); nothing included`);
      continue;
    }
    for (const f of found) {
      if (files.includes(f)) continue;
      files.push(f);
      const r = readConfigFile(f, f, budget);
      if (!r.ok) {
        const limit = r.issue.code === 'RM_CONFIG_LIMIT';
        doc.issues.push(limit ? r.issue : issue(r.issue.code, key, `${r.issue.message} (included by ${file})`, undefined));
        if (limit) return { doc, files, warnings };
        continue;
      }
      parseIni(r.text, f, doc);
    }
  }
  return { doc, files, warnings };
}
