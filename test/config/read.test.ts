import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, loadConfigAsync } from '../../src/config/index.js';
import { newBudget } from '../../src/config/limits.js';
import { readConfigTextAsync } from '../../src/config/read.js';
import { issuesOf } from './helpers.js';
import { tempDir } from '../helpers/config.js';

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const t = tempDir();
  try {
    return await fn(t.dir);
  } finally {
    t.cleanup();
  }
}

describe('reading config files', () => {
  it('reads the same config at once and in slices; the event loop turns between the slices', () =>
    withDir(async (dir) => {
      const watchers = Array.from({ length: 50 }, (_, i) => `  w${i}:\n    cmd: sleep ${i}\n`).join('');
      writeFileSync(join(dir, '10-a.yaml'), `watchers:\n${watchers}`);
      writeFileSync(join(dir, '20-b.ini'), '[watcher:extra]\ncmd = sleep 1\n');
      let turns = 0;
      let on = true;
      const tick = (): void => {
        turns++;
        if (on) setImmediate(tick);
      };
      setImmediate(tick);
      const loaded = await loadConfigAsync({ path: dir, env: {}, cwd: '/' });
      on = false;
      // two reads, two parses, and the stages of the pipeline: each let the loop turn
      assert.ok(turns >= 7, `the event loop turned ${turns} times during the load`);
      assert.deepEqual(loaded, loadConfig({ path: dir, env: {}, cwd: '/' }));
      assert.equal(loaded?.watchers.length, 51);
    }));

  it('a running init refuses what is not a regular file instead of blocking on it', () =>
    withDir(async (dir) => {
      const fifo = join(dir, 'r.yaml');
      execFileSync('mkfifo', [fifo]);
      const want = `cannot read ${fifo}: it is a FIFO, not a regular file; give the path of a config file (or of a ConfigMap directory)`;
      await assert.rejects(loadConfigAsync({ path: fifo, env: {}, cwd: '/' }), (e: Error) => e.message === want);
      assert.deepEqual(issuesOf(() => loadConfig({ path: dir, env: {}, cwd: '/' })).map((i) => i.message), [`config directory ${dir} holds no *.yaml, *.yml or *.ini file`]);
      await assert.rejects(readConfigTextAsync('/dev/zero', 'zero.yaml', newBudget()), /cannot read zero\.yaml: it is a character device, not a regular file/);
    }));

  it('does not take a file that changes while it is read: re-read, then refused if it never settles', () =>
    withDir(async (dir) => {
      const path = join(dir, 'r.yaml');
      writeFileSync(path, 'watchers:\n  w:\n    cmd: sleep 1\n');
      // A writer that appends at every turn of the event loop, between the reader's steps.
      let on = true;
      let n = 0;
      const write = (): void => {
        appendFileSync(path, `# ${n++}\n`);
        if (on) setImmediate(write);
      };
      setImmediate(write);
      try {
        await assert.rejects(readConfigTextAsync(path, 'r.yaml', newBudget()), /cannot read r\.yaml: it kept changing while being read \(5 tries\); write the new version to another file and rename it into place/);
      } finally {
        on = false;
      }
      assert.match(await readConfigTextAsync(path, 'r.yaml', newBudget()), /^watchers:\n {2}w:\n {4}cmd: sleep 1\n(# \d+\n)+$/);
    }));
});
