/**
 * The code registry (src/errors/) against the rest: every code and exit code is used
 * somewhere in src/ and documented in the README's tables, which are the generated ones
 * (node scripts/code-tables.mjs writes them); the worker's copy of its exit codes agrees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODES, CTL_CODES, EXIT, EXIT_CODES, exitCodeFor, RingmasterError, type ErrorCode } from '../../src/errors/codes.js';
import { README_TABLES } from '../../src/errors/tables.js';
import { SERVE_EXIT } from '../../src/worker/exit.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const REGISTRY = new Set(['src/errors/codes.ts', 'src/errors/exit.ts', 'src/errors/tables.ts']);

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : [],
  );
}

/** The code of src/ outside the registry, without its comments (a code named in a doc comment is not used). */
const CODE = sources('src')
  .filter((f) => !REGISTRY.has(f))
  .map((f) =>
    readFileSync(join(ROOT, f), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .split('\n')
      .filter((l) => !l.trim().startsWith('//'))
      .join('\n'),
  )
  .join('\n');

test('every error code of the registry is used in src/, as itself or by its CTL_CODES name', () => {
  const byName = new Map<string, string>(Object.entries(CTL_CODES).map(([name, code]) => [code, `CTL_CODES.${name}`]));
  const unused = (Object.keys(CODES) as ErrorCode[]).filter((code) => {
    const alias = byName.get(code);
    return !CODE.includes(`'${code}'`) && !(alias !== undefined && CODE.includes(alias));
  });
  assert.deepEqual(unused, []);
});

test('every exit code of the registry is used in src/, by name', () => {
  // a name is used as EXIT.NAME or through an error code that exits with it
  const throughCodes = new Set(Object.values(CODES).map((c) => c.exit as string));
  const unused = Object.keys(EXIT_CODES).filter((name) => !new RegExp(`\\bEXIT\\.${name}\\b`).test(CODE) && !throughCodes.has(name));
  assert.deepEqual(unused, []);
});

test('codes are RM_ names, exit codes distinct numbers, each with a one-line description', () => {
  for (const [code, info] of Object.entries(CODES)) {
    assert.match(code, /^RM_[A-Z]+(_[A-Z]+)*$/);
    assert.match(info.description, /^[^\n|]+$/, code);
    assert.ok(info.exit in EXIT_CODES, code);
  }
  const numbers = Object.values(EXIT_CODES).map((e) => e.code);
  assert.equal(new Set(numbers).size, numbers.length);
  for (const [name, info] of Object.entries(EXIT_CODES)) {
    assert.match(info.description, /^[^\n|]+$/, name);
    assert.equal(EXIT[name as keyof typeof EXIT], info.code);
  }
});

test("a RingmasterError exits with its code's exit code", () => {
  assert.equal(new RingmasterError('RM_SOCKET', 'x').exitCode, 71);
  assert.equal(new RingmasterError('RM_CONFIG_LIMIT', 'x').exitCode, 78);
  assert.equal(exitCodeFor('RM_SPAWN_NOT_FOUND'), 127);
  assert.equal(exitCodeFor('RM_CTL_UNREACHABLE'), 69);
});

test("the worker's exit codes (serve imports none of the init) are the registry's", () => {
  for (const [name, code] of Object.entries(SERVE_EXIT)) assert.equal(code, EXIT[name as keyof typeof EXIT], name);
});

test("README.md's exit-code and error-code tables are the registry's (node scripts/code-tables.mjs writes them)", () => {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const t of README_TABLES) {
    const start = text.indexOf(t.begin);
    const end = text.indexOf(t.end);
    assert.ok(start >= 0 && end > start, `README.md has the block ${t.begin}`);
    assert.equal(text.slice(start + t.begin.length, end).trim(), t.markdown());
  }
  for (const code of Object.keys(CODES)) assert.ok(text.includes(`| \`${code}\` |`), code);
});
