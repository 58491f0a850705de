/**
 * What watchers and tasks share when they are built: the argv from `cmd` and `args`
 * (shlex-split, substitutions kept), the checks on what execve() can carry, and the
 * `rlimit_*` keys. `path` is the section's path (`['tasks', 'migrate']`).
 */
import { issue } from './errors.js';
import type { ConfigIssueCode } from '../errors/codes.js';
import { RLIMIT_KEY, RLIMIT_NAMES } from './options.js';
import { shlexJoin, shlexSplit } from './shlex.js';
import { didYouMean } from './suggest.js';
import { dotted, keyPosOf, posOf, type Path, type RawSource } from './tree.js';
import type { ConfigIssue } from './types.js';

/** Reports a problem with one option of a section: `watchers.NAME.KEY <text>`, at the value. */
export type Complain = (key: string, text: string, code?: ConfigIssueCode) => void;

/** The `Complain` of the section at `path`. */
export function complainer(src: RawSource, path: Path, o: Record<string, unknown>, issues: ConfigIssue[]): Complain {
  return (key, text, code = 'RM_CONFIG_VALUE') => {
    const p = [...path, key];
    issues.push(issue(code, dotted(p), `${dotted(p)} ${text}`, posOf(src, p), o[key]));
  };
}

export interface Command {
  /** `cmd` and `args` split and concatenated */
  argv: string[];
  /** the words of `cmd` alone */
  cmdWords: string[];
  /** `cmd` as written (joined when it was a list) */
  cmd: string;
}

/** The command of a section; an empty or unsplittable `cmd` is reported. */
export function commandOf(o: Record<string, unknown>, bad: Complain, issues: readonly ConfigIssue[], path: Path): Command {
  const words = (key: 'cmd' | 'args'): string[] => {
    const v = o[key];
    if (Array.isArray(v)) return v as string[];
    if (typeof v !== 'string') return [];
    try {
      return shlexSplit(v);
    } catch (e) {
      bad(key, `${(e as Error).message}: ${JSON.stringify(v)}; close the quote or escape it with \\`);
      return [];
    }
  };
  const cmdWords = words('cmd');
  const argv = [...cmdWords, ...words('args')];
  const cmd = typeof o['cmd'] === 'string' ? o['cmd'] : shlexJoin(cmdWords);
  if (cmdWords.length === 0 && !issues.some((i) => i.path === dotted([...path, 'cmd']))) {
    bad('cmd', `must name a program to run, got ${JSON.stringify(o['cmd'])}`);
  }
  return { argv, cmdWords, cmd };
}

/** What execve() cannot carry: a NUL byte in a word of the command or in the environment, `=` in a variable name. */
export function checkExecStrings(c: Command, env: Readonly<Record<string, string>>, bad: Complain): void {
  // execve() takes C strings: a NUL byte would cut a word short, so Node refuses to spawn.
  if (c.argv.some((a) => a.includes('\0'))) bad(c.cmdWords.some((a) => a.includes('\0')) ? 'cmd' : 'args', 'contains a NUL byte (\\0), which no command line can carry; remove it');
  for (const [k, v] of Object.entries(env)) {
    if (k.includes('=') || k.includes('\0')) bad('env', `has a variable named ${JSON.stringify(k)}: a name cannot contain "=" or a NUL byte; rename it`);
    else if (String(v).includes('\0')) bad('env', `${k} contains a NUL byte (\\0), which no environment can carry; remove it`);
  }
}

/** The `rlimit_*` keys of a section: RLIMIT name (lower case) -> value, null = infinity; unknown names reported. */
export function rlimitsOf(path: Path, o: Record<string, unknown>, src: RawSource, issues: ConfigIssue[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [key, v] of Object.entries(o)) {
    const m = RLIMIT_KEY.exec(key);
    if (!m) continue;
    const r = (m[1] as string).toLowerCase();
    if (!RLIMIT_NAMES.includes(r)) {
      const p = [...path, key];
      const hint = didYouMean(key, RLIMIT_NAMES.map((n) => `rlimit_${n}`));
      issues.push(issue('RM_CONFIG_UNKNOWN_KEY', dotted(p), `${dotted(p)} is not a known resource limit${hint}`, keyPosOf(src, p), key));
      continue;
    }
    out[r] = v as number | null;
  }
  return out;
}
