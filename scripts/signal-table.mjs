#!/usr/bin/env node
// Writes the signal table of README.md from src/lifecycle/signal-policy.ts (run after
// `npm run build`); test/config/signals.test.ts fails while the two disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { signalTableMarkdown, TABLE_BEGIN, TABLE_END } = await import(`${root}dist/src/lifecycle/signal-table.js`);

const file = `${root}README.md`;
const text = readFileSync(file, 'utf8');
const start = text.indexOf(TABLE_BEGIN);
const end = text.indexOf(TABLE_END);
if (start < 0 || end < start) {
  console.error(`README.md has no ${TABLE_BEGIN} ... ${TABLE_END} block`);
  process.exit(1);
}
writeFileSync(file, `${text.slice(0, start + TABLE_BEGIN.length)}\n${signalTableMarkdown()}\n${text.slice(end)}`);
console.log('wrote the signal table of README.md');
