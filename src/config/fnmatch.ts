/**
 * fnmatch patterns (`*`, `?`, `[seq]`, `[!seq]`), as Python's fnmatch reads them, for
 * `[env:PATTERNS]` and include globs. Case-sensitive, as on POSIX.
 *
 * The translation is Python 3.11's `fnmatch.translate`, so that every pattern compiles:
 * a reversed range (`[z-a]`) is dropped, a set left empty matches nothing, `[!]` matches
 * any character. Runs of `*` are one `*`, and each `*` before a fixed part matches
 * lazily without backtracking (Python's atomic-group idiom, `(?=(.*?X))\1`), so that a
 * pattern like `*a*a*a*b` costs linear time on any name.
 */

const NEVER = /(?!)/;

/** Compile an fnmatch pattern to an anchored RegExp (one that matches nothing if V8 refuses it). */
export function fnmatchRegExp(pattern: string): RegExp {
  try {
    return new RegExp(`^${join(translate(pattern))}$`, 's');
  } catch {
    return NEVER;
  }
}

const cache = new Map<string, RegExp>();

/** Does `name` match the fnmatch `pattern`? */
export function fnmatch(name: string, pattern: string): boolean {
  let re = cache.get(pattern);
  if (re === undefined) {
    if (cache.size >= 1024) cache.clear();
    re = fnmatchRegExp(pattern);
    cache.set(pattern, re);
  }
  return re.test(name);
}

/** Does a pattern contain glob magic? */
export function hasMagic(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

const STAR = Symbol('*');
type Part = string | typeof STAR;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Python's `fnmatch._translate`: the pattern as regex pieces and STAR markers. */
function translate(pat: string): Part[] {
  const res: Part[] = [];
  const n = pat.length;
  let i = 0;
  while (i < n) {
    const c = pat[i] as string;
    i++;
    if (c === '*') {
      if (res[res.length - 1] !== STAR) res.push(STAR);
    } else if (c === '?') res.push('.');
    else if (c === '[') {
      let j = i;
      if (j < n && pat[j] === '!') j++;
      if (j < n && pat[j] === ']') j++;
      while (j < n && pat[j] !== ']') j++;
      if (j >= n) {
        res.push('\\[');
        continue;
      }
      const set = bracket(pat, i, j);
      i = j + 1;
      if (set === '') res.push('(?!)');
      else if (set === '!') res.push('.');
      else res.push(set[0] === '!' ? `[^${set.slice(1)}]` : `[${set}]`);
    } else res.push(escape(c));
  }
  return res;
}

/** The body of `[...]` from `pat[i]` to before `pat[j]`, escaped, reversed ranges removed. */
function bracket(pat: string, i: number, j: number): string {
  const esc = (s: string): string => s.replace(/[\\\]^[-]/g, '\\$&');
  const stuff = pat.slice(i, j);
  if (!stuff.includes('-')) return stuff[0] === '!' ? `!${esc(stuff.slice(1))}` : esc(stuff);
  const chunks: string[] = [];
  let k = pat[i] === '!' ? i + 2 : i + 1;
  for (;;) {
    k = pat.indexOf('-', k);
    if (k < 0 || k >= j) break;
    chunks.push(pat.slice(i, k));
    i = k + 1;
    k = k + 3;
  }
  const last = pat.slice(i, j);
  if (last !== '') chunks.push(last);
  else chunks[chunks.length - 1] += '-';
  // Remove empty ranges, which no regex accepts.
  for (let m = chunks.length - 1; m > 0; m--) {
    const prev = chunks[m - 1] as string;
    const cur = chunks[m] as string;
    if ((prev.at(-1) ?? '') > (cur[0] ?? '')) {
      chunks[m - 1] = prev.slice(0, -1) + cur.slice(1);
      chunks.splice(m, 1);
    }
  }
  const neg = chunks[0]?.startsWith('!') === true;
  if (neg) chunks[0] = (chunks[0] as string).slice(1);
  const body = chunks.map(esc).join('-');
  return neg ? `!${body}` : body;
}

/** Python's `fnmatch._join_translated_parts`: `*X` before another `*` matches X lazily, once. */
function join(parts: Part[]): string {
  let out = '';
  let i = 0;
  let group = 0;
  while (i < parts.length && parts[i] !== STAR) out += parts[i++] as string;
  while (i < parts.length) {
    i++; // the STAR
    let fixed = '';
    while (i < parts.length && parts[i] !== STAR) fixed += parts[i++] as string;
    if (i === parts.length) out += `.*${fixed}`;
    else {
      group++;
      out += `(?=(.*?${fixed}))\\${group}`;
    }
  }
  return out;
}
