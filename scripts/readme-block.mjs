// Replace the text between two marker lines of README.md: the generated tables
// (scripts/signal-table.mjs, scripts/code-tables.mjs) live between such markers.

/** `text` with what stands between `begin` and `end` replaced by `body`; undefined when the markers are missing. */
export function replaceBlock(text, begin, end, body) {
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) return undefined;
  return `${text.slice(0, start + begin.length)}\n${body}\n${text.slice(stop)}`;
}
