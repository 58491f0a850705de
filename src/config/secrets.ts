/**
 * Text read with `${file:}` is a secret (a password, a token): no message, warning or
 * output of ringmaster shows it. Issues about a value that holds one say so instead of
 * quoting it, and any secret text of MIN_REDACTED characters or more is replaced wherever
 * it would show (shorter ones would also match ordinary words and numbers of a message).
 */
import { formatValue } from './errors.js';
import { getAt, type RawSource } from './tree.js';
import type { ConfigIssue } from './types.js';

export const MIN_REDACTED = 4;
export const HIDDEN = '(a value read with ${file:}, not shown)';

/** Replace every secret text (of MIN_REDACTED characters or more; all of them with `all`) in `text`. */
export function redact(text: string, secrets: readonly string[], all = false): string {
  let out = text;
  for (const s of secrets) if (s.length >= (all ? 1 : MIN_REDACTED) && out.includes(s)) out = out.split(s).join('<secret>');
  return out;
}

/** `issues` with no secret of `src` in their message or value. */
export function redactIssues(issues: ConfigIssue[], src: RawSource): ConfigIssue[] {
  if (src.secretTexts.length === 0) return issues;
  const secretPaths = new Map([...src.secret].map((k) => [k.split('\u0000').join('.'), k.split('\u0000')]));
  return issues.map((i) => {
    const at = secretPaths.get(i.path) ?? [...secretPaths].find(([d]) => i.path.startsWith(`${d}.`))?.[1];
    let message = i.message;
    let value = i.value;
    if (at !== undefined) {
      const v = getAt(src.data, at);
      for (const shown of [formatValue(v), JSON.stringify(v), typeof v === 'string' ? v : undefined]) {
        if (shown !== undefined && shown.length > 0) message = message.split(shown).join(HIDDEN);
      }
      value = HIDDEN;
    } else if (typeof value === 'string') value = redact(value, src.secretTexts);
    return { ...i, message: redact(message, src.secretTexts), value };
  });
}

