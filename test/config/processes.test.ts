/**
 * `numprocesses: auto` / `auto*F` in YAML and INI: the config keeps the factor (it reads
 * no cgroup), and bad forms are config errors with the file, the line and the fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ini, messagesOf, yaml } from './helpers.js';

const watcher = (text: string) => yaml(`watchers:\n  web:\n    cmd: node app.js\n    numprocesses: ${text}\n`).watchers[0];

test('numprocesses: auto, auto*2, auto * 0.5, AUTO: the factor is kept, numprocesses 1 until resolved', () => {
  for (const [text, factor] of [['auto', 1], ['auto*2', 2], ['"auto * 0.5"', 0.5], ['AUTO*1.5', 1.5], ['${N}', 3]] as const) {
    const w = yaml(`watchers:\n  web:\n    cmd: node app.js\n    numprocesses: ${text}\n`, { N: 'auto*3' }).watchers[0];
    assert.equal(w?.numprocesses_auto, factor, text);
    assert.equal(w?.numprocesses, 1, text);
    assert.equal(w?.numprocesses_source, undefined, text);
  }
  assert.equal(watcher('4')?.numprocesses_auto, undefined);
  assert.equal(watcher('4')?.numprocesses, 4);
});

test('INI: numprocesses = auto*2 and = auto, with the same words as YAML', () => {
  const c = ini('[watcher:web]\ncmd = node app.js\nnumprocesses = auto*2\n[watcher:jobs]\ncmd = node jobs.js\nnumprocesses = auto\n[watcher:n]\ncmd = x\nnumprocesses = 5\n');
  const by = (name: string) => c.watchers.find((w) => w.name === name);
  assert.equal(by('web')?.numprocesses_auto, 2);
  assert.equal(by('jobs')?.numprocesses_auto, 1);
  assert.equal(by('n')?.numprocesses, 5);
  assert.equal(by('n')?.numprocesses_auto, undefined);
});

test('bad forms: auto*x, auto*0, auto*100, autox: the file, line, key, value and the fix', () => {
  const y = (text: string) => messagesOf(() => yaml(`watchers:\n  web:\n    cmd: node app.js\n    numprocesses: ${text}\n`));
  const [x] = y('auto*x');
  assert.match(x ?? '', /^watchers\.web\.numprocesses must be an integer between 0 and 10000, or auto, or auto\*F with F a number between 0\.01 and 64 \(auto\*2, auto\*0\.5\), got "auto\*x" \(the factor after auto\* must be a number such as 2 or 0\.5\)/);
  assert.match(x ?? '', /:4:/);
  assert.match(y('auto*0')[0] ?? '', /got "auto\*0" \(the factor after auto\* must be between 0\.01 and 64; auto\*0 would start no worker, write 0 for that\)/);
  assert.match(y('auto*100')[0] ?? '', /got "auto\*100"/);
  assert.match(y('autox')[0] ?? '', /must be an integer between 0 and 10000, or auto, .*got "autox" \(ringmaster\.yaml:4:19\)$/);
  // a value that does not try auto reads as before
  assert.deepEqual(y('two'), ['watchers.web.numprocesses must be an integer between 0 and 10000, got "two" (ringmaster.yaml:4:19)']);
  const i = messagesOf(() => ini('[watcher:web]\ncmd = node app.js\nnumprocesses = auto*-1\n'));
  assert.match(i[0] ?? '', /watchers\.web\.numprocesses must be .* got "auto\*-1" .*circus\.ini:3/);
});

test('the YAML map form {auto: F} (documented) is auto*F, with the same bounds', () => {
  assert.equal(yaml('watchers:\n  web:\n    cmd: node app.js\n    numprocesses: {auto: 2}\n').watchers[0]?.numprocesses_auto, 2);
  assert.equal(yaml('watchers:\n  web:\n    cmd: node app.js\n    numprocesses: {auto: 0.5}\n').watchers[0]?.numprocesses_auto, 0.5);
  for (const bad of ['{auto: 0}', '{auto: 100}', '{auto: two}', '{auto: 2, x: 1}', '{}']) {
    const m = messagesOf(() => yaml(`watchers:\n  web:\n    cmd: node app.js\n    numprocesses: ${bad}\n`));
    assert.ok(m.length > 0 && m.every((x) => x.includes('watchers.web.numprocesses')), `${bad}: ${m.join(' | ')}`);
  }
});
