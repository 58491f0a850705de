import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseIni } from '../../src/config/parser-ini.js';
import { ini, messagesOf, withTempDir } from './helpers.js';

const entries = (text: string, section = 'watcher:w'): Record<string, string> =>
  Object.fromEntries([...(parseIni(text, 't.ini').sections.get(section)?.entries ?? [])].map(([k, e]) => [k, e.value]));

describe('INI parser (Circus StrictConfigParser rules)', () => {
  it('skips # and ; comment lines, rem lines and blank lines', () => {
    assert.deepEqual(entries('# c\n[watcher:w]\n; c\nrem a comment\nREM another\n\ncmd = x\n  \n'), { cmd: 'x' });
  });

  it('cuts an inline ; comment only after whitespace', () => {
    assert.deepEqual(entries('[watcher:w]\na = one ; comment\nb = two;three\nc = x\t; tab\nd = a # not a comment\n'), {
      a: 'one',
      b: 'two;three',
      c: 'x',
      d: 'a # not a comment',
    });
  });

  it('splits on the first = or :', () => {
    assert.deepEqual(entries('[watcher:w]\nready: http://h:80/x\ncmd = node --a=b\n'), {
      ready: 'http://h:80/x',
      cmd: 'node --a=b',
    });
  });

  it('joins continuation lines with \\n, blank lines in between skipped', () => {
    assert.deepEqual(entries('[watcher:w]\nargs = --a\n  --b\n\n\t--c\nx = 1\n'), { args: '--a\n--b\n--c', x: '1' });
    const c = ini('[watcher:w]\ncmd = node\nargs = app.js\n    --port 80\n');
    assert.deepEqual(c.watchers[0]?.argv, ['node', 'app.js', '--port', '80']);
  });

  it('keeps the first of duplicate keys, also across repeated sections, which merge', () => {
    assert.deepEqual(entries('[watcher:w]\na = 1\na = 2\n  cont\n[socket:s]\nport=1\n[watcher:w]\na = 3\nb = 4\n'), { a: '1', b: '4' });
    const c = ini('[watcher:w]\ncmd = node a.js\nnumprocesses = 2\n[watcher:w]\nnumprocesses = 3\npriority = 4\n');
    assert.equal(c.watchers[0]?.numprocesses, 2);
    assert.equal(c.watchers[0]?.priority, 4);
    assert.deepEqual(
      c.warnings.filter((w) => w.includes('is ignored')),
      ['[watcher:w] numprocesses at circus.ini:5 is ignored: it is set already at circus.ini:3 (the first one counts, as in Circus)'],
    );
  });

  it('reads "" as the empty string and KEY = as empty', () => {
    assert.deepEqual(entries('[watcher:w]\na = ""\nb =\n'), { a: '', b: '' });
  });

  it('keeps keys case-sensitive and lower-cases socket names, not watcher names', () => {
    assert.deepEqual(entries('[watcher:w]\nCmd = x\ncmd = y\n'), { Cmd: 'x', cmd: 'y' });
    const c = ini('[socket:WebApp]\nport = 0\n[watcher:MyWeb]\ncmd = node a.js $(circus.sockets.WEBAPP)\n');
    assert.equal(c.sockets[0]?.name, 'webapp');
    assert.equal(c.watchers[0]?.name, 'MyWeb');
    assert.deepEqual(c.watchers[0]?.sockets, ['webapp']);
  });

  it('skips sections with no keys', () => {
    const c = ini('[watcher:empty]\n[socket:none]\n# only a comment\n[watcher:w]\ncmd = x\n');
    assert.deepEqual(c.watchers.map((w) => w.name), ['w']);
    assert.deepEqual(c.sockets, []);
  });

  it('reads Circus booleans', () => {
    for (const [v, want] of [['yes', true], ['True', true], ['ON', true], ['1', true], ['no', false], ['false', false], ['Off', false], ['0', false]] as const) {
      assert.equal(ini(`[watcher:w]\ncmd = x\nrespawn = ${v}\n`).watchers[0]?.respawn, want, v);
    }
  });

  it('reads signals with or without SIG, any case, or by number', () => {
    for (const [v, want] of [['TERM', 'SIGTERM'], ['sigquit', 'SIGQUIT'], ['SIGINT', 'SIGINT'], ['9', 'SIGKILL'], ['iot', 'SIGABRT']] as const) {
      assert.equal(ini(`[watcher:w]\ncmd = x\nstop_signal = ${v}\n`).watchers[0]?.stop_signal, want, v);
    }
    const c = ini('[watcher:w]\ncmd = x\nforward_signals = usr1, SIGUSR2 winch\n');
    assert.deepEqual(c.watchers[0]?.forward_signals, ['SIGUSR1', 'SIGUSR2', 'SIGWINCH']);
    assert.deepEqual(messagesOf(() => ini('[watcher:w]\ncmd = x\nstop_signal = SIGRTMIN+1\n')), [
      'watchers.w.stop_signal must be a signal name such as SIGTERM (or TERM, or a number), got "SIGRTMIN+1" (real-time signals cannot be named here) (circus.ini:3:15)',
    ]);
  });

  it('reads an empty rlimit as infinity', () => {
    const c = ini('[watcher:w]\ncmd = x\nrlimit_nofile = 1024\nrlimit_CORE =\n');
    assert.deepEqual(c.watchers[0]?.rlimits, { nofile: 1024, core: null });
  });

  it('reports lines outside sections and unreadable lines, all at once', () => {
    assert.deepEqual(messagesOf(() => ini('cmd = x\n[watcher:w]\ncmd = x\ngarbage\n')), [
      '"cmd = x" is outside any section; start the file with a section such as [watcher:NAME] (circus.ini:1:1)',
      'cannot read "garbage"; write KEY = VALUE, [SECTION], or a comment starting with # (circus.ini:4:1)',
    ]);
  });

  it('accepts [plugin:NAME] with a warning, [circus] and [ringmaster] alike', () => {
    const c = ini('[circus]\nwarmup_delay = 2\n[plugin:flapping]\nuse = circus.plugins.flapping.Flapping\n[watcher:w]\ncmd = x\n');
    assert.equal(c.ringmaster.warmup_delay, 2);
    assert.ok(c.warnings.some((w) => w.startsWith('[plugin:flapping]: plugins are not supported') && w.endsWith('(circus.ini:3:1)')), c.warnings.join('\n'));
    assert.equal(ini('[ringmaster]\nwarmup_delay = 3\n[watcher:w]\ncmd = x\n').ringmaster.warmup_delay, 3);
  });

  it('follows include and include_dir relative to the main file; the main file wins', () => {
    withTempDir((dir) => {
      mkdirSync(join(dir, 'conf.d'));
      mkdirSync(join(dir, 'more'));
      writeFileSync(join(dir, 'conf.d', 'a.ini'), '[watcher:a]\ncmd = node a.js\n');
      writeFileSync(join(dir, 'conf.d', 'b.ini'), '[watcher:main]\nnumprocesses = 9\npriority = 5\n');
      writeFileSync(join(dir, 'more', 'c.ini'), '[socket:c]\nport = 0\n');
      writeFileSync(join(dir, 'more', 'ignored.txt'), '[socket:d]\nport = 0\n');
      const main = join(dir, 'circus.ini');
      const text = '[circus]\ninclude = conf.d/*.ini nothing/*.ini\ninclude_dir = more\n[watcher:main]\ncmd = node main.js\nnumprocesses = 2\n';
      writeFileSync(main, text);
      const c = ini(text, {}, main);
      assert.deepEqual(c.watchers.map((w) => [w.name, w.numprocesses, w.priority]), [
        ['main', 2, 5],
        ['a', 1, 0],
      ]);
      assert.deepEqual(c.sockets.map((s) => s.name), ['c']);
      assert.deepEqual(c.source.files, [main, join(dir, 'conf.d', 'a.ini'), join(dir, 'conf.d', 'b.ini'), join(dir, 'more', 'c.ini')]);
      assert.ok(c.warnings.some((w) => w.includes('"nothing/*.ini" matches no file')), c.warnings.join('\n'));
      // relative main file: includes are found from cwd + its directory
      const rel = ini(text, {}, 'circus.ini', dir);
      assert.deepEqual(rel.watchers.map((w) => w.name), ['main', 'a']);
    });
  });

  it('reports an error in an included file at its own position', () => {
    withTempDir((dir) => {
      writeFileSync(join(dir, 'bad.ini'), '[watcher:b]\ncmd = x\nnumprocesses = lots\n');
      const main = join(dir, 'main.ini');
      assert.deepEqual(messagesOf(() => ini('[circus]\ninclude = bad.ini\n', {}, main)), [
        `watchers.b.numprocesses must be an integer between 0 and 10000, got "lots" (${join(dir, 'bad.ini')}:3:16)`,
      ]);
    });
  });
});
