/**
 * `shlex.split` in POSIX mode, as Circus splits `cmd` and `args`: whitespace separates
 * words, '...' is literal, "..." honours backslash before `"` and `\` only, a bare
 * backslash escapes the next character, `#` is not a comment. Substitutions such as
 * `$(circus.wid)` contain no whitespace and pass through untouched.
 */

/** Split a command line into words. Throws Error with a user-facing reason on bad quoting. */
export function shlexSplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      if (j < 0) throw new Error('has no closing quotation');
      cur += s.slice(i + 1, j);
      i = j + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw new Error('has no closing quotation');
        const d = s[i] as string;
        if (d === '"') {
          i++;
          break;
        }
        const next = s[i + 1];
        if (d === '\\' && (next === '"' || next === '\\')) {
          cur += next;
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
    } else if (c === '\\') {
      if (i + 1 >= s.length) throw new Error('ends with a backslash (no escaped character)');
      cur += s[i + 1];
      i += 2;
    } else {
      cur += c;
      i++;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** Join words back into a command line that shlexSplit reads the same. */
export function shlexJoin(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./$(){}-]+$/.test(w) ? w : `'${w.replace(/'/g, `'"'"'`)}'`)).join(' ');
}
