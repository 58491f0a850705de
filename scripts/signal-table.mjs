#!/usr/bin/env node
// Writes the signal table of README.md from src/lifecycle/signal-policy.ts (run after
// `npm run build`); test/config/signals.test.ts fails while the two disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { replaceBlock } from './readme-block.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { signalTableMarkdown, TABLE_BEGIN, TABLE_END } = await import(`${root}dist/src/lifecycle/signal-table.js`);

const file = `${root}README.md`;
const text = replaceBlock(readFileSync(file, 'utf8'), TABLE_BEGIN, TABLE_END, signalTableMarkdown());
if (text === undefined) {
  console.error(`README.md has no ${TABLE_BEGIN} ... ${TABLE_END} block`);
  process.exit(1);
}
writeFileSync(file, text);
console.log('wrote the signal table of README.md');
