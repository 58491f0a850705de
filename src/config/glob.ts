/**
 * A small `glob.glob` for Circus `include` (Node 20 has no fs.glob): magic is allowed in
 * any path segment, dot-files match only a pattern that starts with a dot, results are
 * sorted (Python's order is the directory's, which is not stable).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fnmatchRegExp, hasMagic } from './fnmatch.js';

/** Expand an absolute glob pattern to the existing paths it names, sorted. */
export function glob(pattern: string): string[] {
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
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const n of names) if ((seg.startsWith('.') || !n.startsWith('.')) && re.test(n)) next.push(join(dir, n));
    }
    paths = next;
  }
  return paths.filter(exists).sort();
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
