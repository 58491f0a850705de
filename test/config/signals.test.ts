/** The signal policy: one table, what forward_signals may list, and the README's table. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FORWARD_SIGNALS, HELD_SIGNALS, SIGNAL_POLICY, forwardableSignals, routedSignals, shutdownSignals } from '../../src/lifecycle/signal-policy.js';
import { signalTableMarkdown, TABLE_BEGIN, TABLE_END } from '../../src/lifecycle/signal-table.js';
import { BIN } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { messagesOf, yaml } from './helpers.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const fix = (s: string): string => `so it never reaches the workers; remove it (ringmaster ctl signal web ${s} sends it to them)`;

describe('signal policy', () => {
  it('refuses in forward_signals every signal that config mode keeps for itself, saying what it does with it', () => {
    assert.deepEqual(messagesOf(() => yaml('watchers:\n  web:\n    cmd: x\n    forward_signals: [SIGQUIT, SIGHUP, SIGTTIN, ttou, CHLD, 11]\n')), [
      `watchers.web.forward_signals cannot include SIGQUIT: ringmaster shuts down on SIGQUIT (drain_delay, then the watchers stop), ${fix('QUIT')} (ringmaster.yaml:4:22)`,
      `watchers.web.forward_signals cannot include SIGHUP: ringmaster reloads its configuration on SIGHUP, ${fix('HUP')} (ringmaster.yaml:4:22)`,
      `watchers.web.forward_signals cannot include SIGTTIN: ringmaster adds a worker to scale_watcher on SIGTTIN, ${fix('TTIN')} (ringmaster.yaml:4:22)`,
      `watchers.web.forward_signals cannot include SIGTTOU: ringmaster removes a worker from scale_watcher on SIGTTOU, ${fix('TTOU')} (ringmaster.yaml:4:22)`,
      `watchers.web.forward_signals cannot include SIGCHLD: ringmaster reaps its workers on SIGCHLD, ${fix('CHLD')} (ringmaster.yaml:4:22)`,
      `watchers.web.forward_signals cannot include SIGSEGV: SIGSEGV stays at its default action in ringmaster (Node.js cannot safely catch a fault signal), ${fix('SEGV')} (ringmaster.yaml:4:22)`,
    ]);
  });

  it('takes every signal config mode forwards, SIGPROF too (not a default)', () => {
    const listed = yaml(`watchers:\n  web:\n    cmd: x\n    forward_signals: [${[...DEFAULT_FORWARD_SIGNALS, 'SIGPROF'].join(', ')}]\n`);
    assert.equal(listed.watchers[0]?.forward_signals.length, DEFAULT_FORWARD_SIGNALS.length + 1);
    assert.ok(!DEFAULT_FORWARD_SIGNALS.includes('SIGPROF'));
  });

  it('ringmaster check: exit 78 for a forward_signals that lists SIGQUIT, SIGHUP and SIGTTIN', () => {
    const t = tempDir();
    try {
      const path = t.write('r.yaml', 'watchers:\n  web:\n    cmd: sleep 60\n    forward_signals: [SIGQUIT, SIGHUP, SIGTTIN]\n');
      const r = spawnSync(process.execPath, [BIN, 'check', path], { encoding: 'utf8' });
      assert.equal(r.status, 78, r.stderr);
      for (const s of ['SIGQUIT: ringmaster shuts down', 'SIGHUP: ringmaster reloads', 'SIGTTIN: ringmaster adds a worker']) {
        assert.match(r.stderr, new RegExp(`forward_signals cannot include ${s}`));
      }
    } finally {
      t.cleanup();
    }
  });

  it('is one table of the signals 1..31 from which the sets in use derive', () => {
    assert.deepEqual(SIGNAL_POLICY.map((r) => r.number), Array.from({ length: 31 }, (_, i) => i + 1));
    assert.deepEqual([...shutdownSignals('command')], ['SIGINT', 'SIGQUIT', 'SIGTERM']);
    assert.deepEqual([...shutdownSignals('config')], ['SIGINT', 'SIGQUIT', 'SIGTERM']);
    assert.deepEqual(HELD_SIGNALS, ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM']);
    // what ringmaster did before the table, now derived from it
    const before = ['SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGALRM', 'SIGURG', 'SIGPWR', 'SIGCONT', 'SIGTSTP', 'SIGIO', 'SIGVTALRM', 'SIGXCPU', 'SIGXFSZ', 'SIGTRAP', 'SIGABRT', 'SIGSYS', 'SIGPIPE', 'SIGSTKFLT'];
    assert.deepEqual([...DEFAULT_FORWARD_SIGNALS].sort(), before.sort());
    const caught = forwardableSignals(false);
    assert.equal(caught.length, 24);
    for (const s of ['SIGKILL', 'SIGSTOP', 'SIGCHLD', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL'] as const) assert.ok(!caught.includes(s), s);
    assert.deepEqual(routedSignals(false), [...caught, 'SIGCHLD']);
    assert.ok(!routedSignals(true).includes('SIGPROF'));
  });

  it("README.md's signal table is the one the policy makes (node scripts/signal-table.mjs writes it)", () => {
    const text = readFileSync(README, 'utf8');
    const start = text.indexOf(TABLE_BEGIN);
    const end = text.indexOf(TABLE_END);
    assert.ok(start >= 0 && end > start, 'README.md has the generated signal table');
    assert.equal(text.slice(start + TABLE_BEGIN.length, end).trim(), signalTableMarkdown());
  });
});
