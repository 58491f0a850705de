/**
 * `max_memory` and `memory_check_interval` in YAML and INI: the units (powers of 1024 and
 * of 1000, as Kubernetes writes them), a percentage kept for the init to resolve against
 * the cgroup's memory limit (src/lifecycle/memory-limit.ts, a config error with no limit),
 * and bad values as config errors naming the key, the value and the fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/errors.js';
import { describeMaxMemory, memoryLimits, resolveMemoryLimits } from '../../src/lifecycle/memory-limit.js';
import { ini, messagesOf, yaml } from './helpers.js';

const MiB = 1024 * 1024;
const watcher = (text: string) => yaml(`watchers:\n  web:\n    cmd: node app.js\n    max_memory: ${text}\n`).watchers[0];
const bad = (text: string) => messagesOf(() => yaml(`watchers:\n  web:\n    cmd: node app.js\n    max_memory: ${text}\n`));

test('max_memory units: Ki Mi Gi Ti (and KiB...) are powers of 1024, k M G T (and kB, MB...) powers of 1000, a bare number bytes', () => {
  const cases: Array<[string, number]> = [
    ['512Mi', 512 * MiB],
    ['512MiB', 512 * MiB],
    ['"512 MiB"', 512 * MiB],
    ['1Gi', 1024 ** 3],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['1G', 1e9],
    ['1GB', 1e9],
    ['200M', 200e6],
    ['2048k', 2048e3],
    ['2048KiB', 2 * MiB],
    ['1Ti', 1024 ** 4],
    ['67108864', 64 * MiB],
    ['"67108864"', 64 * MiB],
    ['0', 0],
  ];
  for (const [text, bytes] of cases) {
    const w = watcher(text);
    assert.equal(w?.max_memory, bytes, text);
    assert.equal(w?.max_memory_percent, undefined, text);
  }
  const d = yaml('watchers:\n  web:\n    cmd: node app.js\n').watchers[0];
  assert.deepEqual([d?.max_memory, d?.max_memory_percent, d?.memory_check_interval], [0, undefined, 5]);
});

test('max_memory: 40% is kept as a percentage (0 bytes until the init resolves it)', () => {
  const w = watcher('40%');
  assert.deepEqual([w?.max_memory, w?.max_memory_percent], [0, 40]);
  assert.equal(watcher('"12.5 %"')?.max_memory_percent, 12.5);
});

test('INI: max_memory = 512MiB, = 40%, memory_check_interval = 0.5', () => {
  const c = ini('[watcher:web]\ncmd = node app.js\nmax_memory = 512MiB\nmemory_check_interval = 0.5\n[watcher:jobs]\ncmd = node jobs.js\nmax_memory = 40%\n');
  const by = (name: string) => c.watchers.find((w) => w.name === name);
  assert.deepEqual([by('web')?.max_memory, by('web')?.memory_check_interval], [512 * MiB, 0.5]);
  assert.deepEqual([by('jobs')?.max_memory, by('jobs')?.max_memory_percent], [0, 40]);
});

test('bad max_memory: lower-case units, unknown units, too small, 0% or 150%, negative, not a size: key, value, line and fix', () => {
  const [m] = bad('512mb');
  assert.match(m ?? '', /^watchers\.web\.max_memory must be 0 \(off\), bytes .* got "512mb" \(unknown unit "mb": units are case-sensitive, write M \(powers of 1000\) or Mi \(powers of 1024\)\) \(ringmaster\.yaml:4:17\)$/);
  assert.match(bad('1g')[0] ?? '', /got "1g" \(unknown unit "g": units are case-sensitive, write G .* or Gi/);
  assert.match(bad('1kb')[0] ?? '', /write k \(powers of 1000\) or Ki/);
  assert.match(bad('5 parsecs')[0] ?? '', /got "5 parsecs" \(unknown unit "parsecs"\)/);
  assert.match(bad('512')[0] ?? '', /got 512 \(512 bytes is less than any process needs; did you mean 512Mi\?\)/);
  assert.match(bad('0%')[0] ?? '', /got "0%" \(a percentage must be between 1% and 100% of the memory limit\)/);
  assert.match(bad('150%')[0] ?? '', /got "150%" \(a percentage must be between 1% and 100%/);
  assert.match(bad('-5Mi')[0] ?? '', /watchers\.web\.max_memory must be .* got "-5Mi"/);
  assert.match(bad('-1')[0] ?? '', /watchers\.web\.max_memory must be .* got -1/);
  assert.match(bad('99999999999999999999')[0] ?? '', /watchers\.web\.max_memory must be/);
  assert.match(bad('99999999Ti')[0] ?? '', /got "99999999Ti" \(too large\)/);
  assert.match(bad('[1]')[0] ?? '', /watchers\.web\.max_memory must be/);
  assert.match(bad('""')[0] ?? '', /watchers\.web\.max_memory must be/);
  assert.match(bad('.inf')[0] ?? '', /watchers\.web\.max_memory must be/);
  const i = messagesOf(() => ini('[watcher:web]\ncmd = node app.js\nmax_memory = 1 GiG\n'));
  assert.match(i[0] ?? '', /watchers\.web\.max_memory must be .* got "1 GiG" .*circus\.ini:3/);
});

test('bad memory_check_interval: 0 (a busy loop), negative, past the longest timer', () => {
  const y = (v: string) => messagesOf(() => yaml(`watchers:\n  web:\n    cmd: node app.js\n    memory_check_interval: ${v}\n`))[0] ?? '';
  assert.match(y('0'), /^watchers\.web\.memory_check_interval must be a number between 0\.1 and 2147483 seconds/);
  assert.match(y('-1'), /memory_check_interval must be a number between 0\.1/);
  assert.match(y('99999999'), /memory_check_interval must be a number between 0\.1 and 2147483/);
});

test('the init resolves a percentage against the cgroup memory limit; with none, a config error naming the key, the file and the fix', () => {
  const c = yaml('watchers:\n  web:\n    cmd: node app.js\n    max_memory: 40%\n  other:\n    cmd: x\n    max_memory: 100Mi\n');
  const r = resolveMemoryLimits(c, () => ({ bytes: 1024 * MiB, version: 1 }));
  const web = r.watchers.find((w) => w.name === 'web');
  assert.equal(web?.max_memory, Math.floor(1024 * MiB * 0.4));
  assert.equal(web?.max_memory_source, '40% of the cgroup v1 memory limit 1 GiB');
  assert.equal(describeMaxMemory(web as never), '409.6 MiB (40% of the cgroup v1 memory limit 1 GiB)');
  assert.equal(r.watchers.find((w) => w.name === 'other')?.max_memory, 100 * MiB);
  assert.ok(Object.isFrozen(r));
  assert.throws(
    () => resolveMemoryLimits(c, () => undefined),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.issues.length === 1 &&
      e.issues[0]?.code === 'RM_CONFIG_VALUE' &&
      /^watchers\.web\.max_memory: 40% of the container memory limit, but ringmaster's cgroup has none \(ringmaster\.yaml\); set a memory limit \(resources\.limits\.memory in Kubernetes, --memory in Docker\) or give max_memory in bytes/.test(e.message),
  );
  // check: the same words as a warning, and the watcher keeps max_memory off
  const w = memoryLimits(c, () => undefined);
  assert.equal(w.issues.length, 1);
  assert.equal(w.config.watchers.find((x) => x.name === 'web')?.max_memory, 0);
  // nothing to resolve: the same object, nothing read
  const plain = yaml('watchers:\n  web:\n    cmd: node app.js\n');
  assert.equal(resolveMemoryLimits(plain, () => assert.fail('the cgroup was read')), plain);
});
