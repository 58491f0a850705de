/**
 * The fuzz corpus (fixtures/fuzz/, kept by bench/fuzz/run.mjs): inputs that once crashed
 * `ringmaster check` (exit 70, a stack trace) or made it read without end. Each must now
 * get 0, 64, 71 or 78, with no stack trace, before a generous deadline that kills it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BIN, ROOT } from '../helpers/run.js';

const CORPUS = join(ROOT, 'fixtures', 'fuzz');

function check(file: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    // cwd is the corpus: includes in it are relative to their file anyway
    execFile(process.execPath, [BIN, 'check', file], { cwd: CORPUS, timeout: 60_000, maxBuffer: 64 << 20, env: { PATH: process.env.PATH } }, (err, _out, stderr) => {
      const e = err as (Error & { code?: unknown; signal?: string | null }) | null;
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, signal: e?.signal ?? null, stderr });
    });
  });
}

const files = readdirSync(CORPUS).filter((n) => /\.(ya?ml|ini)$/.test(n)).sort();

test('the fuzz corpus is not empty', () => assert.ok(files.length >= 10, `${files.length} files in ${CORPUS}`));

describe('ringmaster check on the fuzz corpus', { concurrency: 2 }, () => {
  for (const name of files) {
    test(`check ${name}: exit 0, 64, 71 or 78, no stack trace`, async () => {
      const r = await check(join(CORPUS, name));
      assert.ok(r.code !== null && [0, 64, 71, 78].includes(r.code), `exit ${r.code ?? r.signal}: ${r.stderr.slice(0, 2000)}`);
      assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m);
      assert.doesNotMatch(r.stderr, /internal error/);
    });
  }
});
