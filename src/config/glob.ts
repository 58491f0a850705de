/**
 * A small `glob.glob` for Circus `include` (Node 20 has no fs.glob): magic is allowed in
 * any path segment, dot-files match only a pattern that starts with a dot, results are
 * sorted (Python's order is the directory's, which is not stable).
 *
 * Bounded: every directory entry looked at is charged to the configuration's budget
 * (`include = /proc/*\/*\/*` would otherwise walk every process of the machine).
 */
import { opendirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fnmatchRegExp, hasMagic } from './fnmatch.js';
import { MAX_GLOB_ENTRIES, type Budget } from './limits.js';

/** The existing paths an absolute glob pattern names, sorted; `over` when the budget ran out. */
export function glob(pattern: string, budget: Budget): { paths: string[]; over: boolean } {
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let paths = [segments[0] === '' ? '/' : (segments[0] as string)];
  for (const seg of segments.slice(1)) {
    const next: string[] = [];
    for (const dir of paths) {
      if (!hasMagic(seg)) {
        next.push(join(dir, seg));
        continue;
      }
      const re = fnmatchRegExp(seg);
      const names = readDir(dir, budget);
      if (names === 'over') return { paths: [], over: true };
      for (const n of names) if ((seg.startsWith('.') || !n.startsWith('.')) && re.test(n)) next.push(join(dir, n));
    }
    paths = next;
  }
  return { paths: paths.filter(exists).sort(), over: false };
}

/** The names in `dir` (none if it cannot be read), or 'over' past the budget. */
function readDir(dir: string, budget: Budget): string[] | 'over' {
  const names: string[] = [];
  let d;
  try {
    d = opendirSync(dir);
  } catch {
    return names;
  }
  try {
    for (let e = d.readSync(); e !== null; e = d.readSync()) {
      if (++budget.globEntries > MAX_GLOB_ENTRIES) return 'over';
      names.push(e.name);
    }
  } catch {
    // a directory that fails half way: what was read
  } finally {
    d.closeSync();
  }
  return names;
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
