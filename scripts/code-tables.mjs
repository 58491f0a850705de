#!/usr/bin/env node
// Writes the exit-code and error-code tables of README.md from the registry in src/errors/
// (run after `npm run build`); test/unit/codes.test.ts fails while they disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { replaceBlock } from './readme-block.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { README_TABLES } = await import(`${root}dist/src/errors/tables.js`);

const file = `${root}README.md`;
let text = readFileSync(file, 'utf8');
for (const t of README_TABLES) {
  const next = replaceBlock(text, t.begin, t.end, t.markdown());
  if (next === undefined) {
    console.error(`README.md has no ${t.begin} ... ${t.end} block`);
    process.exit(1);
  }
  text = next;
}
writeFileSync(file, text);
console.log('wrote the exit-code and error-code tables of README.md');
