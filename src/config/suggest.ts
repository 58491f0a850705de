/**
 * "Did you mean": the closest known name by Levenshtein distance. Our own copy rather
 * than cli/'s, so that config/ stays free of the modules that wire the program.
 */

/** Levenshtein distance between two strings; any value above `max` once it is known to be over. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min(tmp + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
      if ((prev[j] as number) < rowMin) rowMin = prev[j] as number;
    }
    if (rowMin > max) return max + 1; // every later row is at least this
  }
  return prev[b.length] as number;
}

/**
 * The candidate closest to `word` (compared case-insensitively), if it is close enough
 * to be a plausible typo: at most a third of the word's length, and at least 1, 2 edits.
 * Candidates that cannot be that close are cut short (a config with thousands of unknown
 * keys asks this for each).
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestScore = limit + 1;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase(), bestScore - 1);
    if (d < bestScore) {
      best = c;
      bestScore = d;
    }
  }
  return best;
}

/** `; did you mean "numprocesses"?`, or the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : `; did you mean "${c}"?`;
}
