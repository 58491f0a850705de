/**
 * Input that once crashed or misled the parsers: names that JavaScript objects treat
 * specially, fnmatch patterns no regex accepts, byte-order marks, several YAML documents.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fnmatch } from '../../src/config/fnmatch.js';
import { loadConfig } from '../../src/config/index.js';
import { ini, messagesOf, withTempDir, yaml } from './helpers.js';

const GOOD_INI = '[socket:web]\nport = 0\n[watcher:web]\ncmd = node a.js\nuse_sockets = True\n';

/** Object.prototype's own keys, to compare before and after. */
const protoKeys = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();

describe('names are data', () => {
  it('[watcher:__proto__] is refused, Object.prototype is untouched, and a good config loads after it', () => {
    const before = protoKeys();
    const msgs = messagesOf(() => ini('[watcher:__proto__]\ncmd = x\nnumprocesses = 2\n'));
    assert.deepEqual(msgs, [
      '[watcher:__proto__]: "__proto__" cannot be a name (JavaScript gives that name a meaning of its own); rename it (circus.ini:1:1)',
    ]);
    assert.deepEqual(protoKeys(), before);
    assert.equal(({} as Record<string, unknown>)['cmd'], undefined);
    const c = ini(GOOD_INI);
    assert.deepEqual(c.watchers.map((w) => w.name), ['web']);
    assert.equal(c.watchers[0]?.numprocesses, 1);
  });

  it('[env:__proto__], an [env] key and an option key named __proto__ are refused', () => {
    assert.match(messagesOf(() => ini('[env:__proto__]\nA = 1\n[watcher:w]\ncmd = x\n'))[0] ?? '', /^\[env:__proto__\]: "__proto__" cannot be a name/);
    assert.match(messagesOf(() => ini('[env]\n__proto__ = 1\n[watcher:w]\ncmd = x\n'))[0] ?? '', /^\[env\] __proto__: "__proto__" cannot be a key .*\(circus\.ini:2:1\)$/);
    assert.match(messagesOf(() => ini('[watcher:w]\ncmd = x\n__proto__ = 1\n'))[0] ?? '', /^\[watcher:w\] __proto__: "__proto__" cannot be a key/);
    assert.deepEqual(ini(GOOD_INI).watchers.length, 1);
  });

  it('YAML: a __proto__ key is refused at any depth, and later loads see nothing of it', () => {
    const before = protoKeys();
    const msgs = messagesOf(() => yaml('watchers:\n  __proto__: {cmd: x}\n  w: {cmd: x, env: {__proto__: {polluted: 1}}}\n'));
    assert.deepEqual(msgs, [
      'watchers.__proto__: "__proto__" cannot be a key (JavaScript gives that name a meaning of its own); rename it (ringmaster.yaml:2:3)',
      'watchers.w.env.__proto__: "__proto__" cannot be a key (JavaScript gives that name a meaning of its own); rename it (ringmaster.yaml:3:21)',
    ]);
    assert.deepEqual(protoKeys(), before);
    assert.equal(yaml('watchers:\n  w: {cmd: x}\n').watchers[0]?.name, 'w');
  });

  it('constructor, prototype, toString are plain names of watchers, sockets and variables', () => {
    const c = ini(
      '[socket:constructor]\nport = 0\n[watcher:prototype]\ncmd = x $(circus.env.tostring)\nuse_sockets = True\n' +
        '[watcher:constructor]\ncmd = y\n[env]\ntoString = 3\nconstructor = 4\n[env:proto*]\nvalueOf = 5\n',
    );
    assert.deepEqual(c.watchers.map((w) => w.name).sort(), ['constructor', 'prototype']);
    assert.deepEqual(c.sockets.map((s) => s.name), ['constructor']);
    const p = c.watchers.find((w) => w.name === 'prototype');
    assert.deepEqual(p?.argv, ['x', '3']);
    assert.equal(p?.env['valueOf'], '5');
    assert.equal(c.env['constructor'], '4');
    const y = yaml('watchers:\n  constructor: {cmd: x, env: {prototype: a, hasOwnProperty: b}}\n');
    assert.deepEqual({ ...y.watchers[0]?.env }, { prototype: 'a', hasOwnProperty: 'b' });
  });
});

describe('fnmatch patterns no regex accepts', () => {
  it('reversed ranges match nothing (as in Python), [!z-a] matches any character, nothing throws', () => {
    assert.equal(fnmatch('z', '[z-a]'), false);
    assert.equal(fnmatch('q', '[!z-a]'), true);
    assert.equal(fnmatch('b', '[z-ab]'), true);
    assert.equal(fnmatch(']', '[]]'), true);
    assert.equal(fnmatch('a-b', 'a[--]b'), true);
    assert.equal(fnmatch('web1', 'web[0-9]'), true);
    assert.equal(fnmatch(`${'a'.repeat(200)}`, `${'*a'.repeat(60)}b`), false);
  });

  it('include = [z-a].ini, include_dir = [z-a] and [env:[z-a]] load, with a warning for what matches nothing', () => {
    withTempDir((dir) => {
      writeFileSync(join(dir, 'main.ini'), '[circus]\ninclude = [z-a].ini\ninclude_dir = [z-a]\n[env:[z-a]]\nA = 1\n[watcher:w]\ncmd = x\n');
      const c = loadConfig({ path: 'main.ini', env: {}, cwd: dir });
      assert.equal(c?.watchers[0]?.env['A'], undefined);
      assert.ok(c?.warnings.some((w) => w.startsWith('include: "[z-a].ini" matches no file')));
    });
  });
});

describe('byte-order marks and YAML documents', () => {
  it('a UTF-8 byte-order mark is skipped in INI and YAML, from a file and as text', () => {
    assert.equal(ini('\ufeff[watcher:w]\ncmd = x\n').watchers[0]?.name, 'w');
    assert.equal(yaml('\ufeffwatchers:\n  w: {cmd: x}\n').watchers[0]?.name, 'w');
    withTempDir((dir) => {
      writeFileSync(join(dir, 'bom.ini'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[watcher:w]\ncmd = x\n')]));
      assert.equal(loadConfig({ path: 'bom.ini', env: {}, cwd: dir })?.watchers[0]?.name, 'w');
    });
  });

  it('a second YAML document is named in ringmaster words, with where it starts', () => {
    const msgs = messagesOf(() => yaml('watchers:\n  w: {cmd: x}\n---\nwatchers: {}\n'));
    assert.deepEqual(msgs, [
      'YAML: a configuration is one document, and a second one starts here (after "---" or "..."); remove it, or put it in a file of its own (ringmaster.yaml:3:1)',
    ]);
  });

  it('every YAML syntax error names file:line:col, and a duplicate key names where the first one is', () => {
    const broken = ['a: b: c\n', 'watchers:\n  w: {cmd: x\n', 'watchers:\n\t- x\n', 'a: "x\n', 'a: &x 1\nb: *y\n', '[1, 2\n', 'a:\n  - b\n  c: d\n'];
    for (const text of broken) {
      for (const m of messagesOf(() => yaml(text))) assert.match(m, /\(ringmaster\.yaml:\d+:\d+\)$/, `${JSON.stringify(text)}: ${m}`);
    }
    assert.deepEqual(messagesOf(() => yaml('watchers:\n  w:\n    cmd: x\n    cmd: y\n')), [
      'YAML: key "cmd" appears twice in this map (first at line 3); remove one (ringmaster.yaml:4:5)',
    ]);
  });
});
