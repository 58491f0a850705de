/**
 * fnmatch patterns (`*`, `?`, `[seq]`, `[!seq]`), as Python's fnmatch reads them, for
 * `[env:PATTERNS]` and include globs. Case-sensitive, as on POSIX.
 */

/** Compile an fnmatch pattern to an anchored RegExp. */
export function fnmatchRegExp(pattern: string): RegExp {
  let re = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    i++;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + (pattern[i] === '!' ? 2 : 1));
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i, end);
      i = end + 1;
      const neg = body.startsWith('!');
      if (neg) body = body.slice(1);
      body = body.replace(/\\/g, '\\\\').replace(/\^/g, '\\^').replace(/\]/g, '\\]');
      re += `[${neg ? '^' : ''}${body}]`;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** Does `name` match the fnmatch `pattern`? */
export function fnmatch(name: string, pattern: string): boolean {
  return fnmatchRegExp(pattern).test(name);
}

/** Does a pattern contain glob magic? */
export function hasMagic(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}
