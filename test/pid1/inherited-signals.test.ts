/**
 * The command (and a watcher's workers with copy_signals) start with the signal mask and
 * ignored signals ringmaster inherited, as under tini: tini's own "signal configuration"
 * test (test/sigconf/sigconf-test.c), with a Python parent instead of C. ringmaster runs
 * as a program (bin/ringmaster), which is how it captures that state before Node resets it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, FIXTURES, startProcess } from '../helpers/run.js';
import { signalsToSet } from '../../src/lifecycle/inherited-signals.js';

const PARENT = `${FIXTURES}sigparent.py`;
const python = spawnSync('python3', ['-c', '']).status === 0;
const skip = python ? false : 'needs python3';

// tini's test blocks ILL, TERM and TTIN and ignores INT, SEGV and TTOU. Also: HUP and PIPE
// ignored (what nohup and many a shell pass on), and two real-time signals, 36 and 37.
const BLOCK = [4, 15, 21, 37];
const IGNORE = [1, 2, 11, 13, 22, 36];
const bits = (ns: readonly number[]): bigint => ns.reduce((a, n) => a | (1n << BigInt(n - 1)), 0n);

function signalState(status: string): { blocked: bigint; ignored: bigint } {
  const hex = (key: string): bigint => {
    const m = new RegExp(`^${key}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    assert.ok(m, `no ${key} in ${JSON.stringify(status)}`);
    return BigInt(`0x${m[1]}`);
  };
  return { blocked: hex('SigBlk'), ignored: hex('SigIgn') };
}

const list = (ns: readonly number[]): string => (ns.length > 0 ? ns.join(',') : '-');

async function commandState(block: number[], ignore: number[], pid1: boolean, command = ['cat', '/proc/self/status']) {
  const rm = startProcess(['python3', PARENT, list(block), list(ignore), BIN, '-vv', '--', ...command], { pid1 });
  try {
    // Generous: the exec shim is a Node start-up, slow on a loaded machine.
    const r = await rm.exit(60_000);
    assert.equal(r.code, 0, rm.stderr());
    return { out: rm.stdout(), err: rm.stderr() };
  } finally {
    await rm.close();
  }
}

for (const pid1 of [true, false]) {
  const where = pid1 ? 'as PID 1' : 'not PID 1';

  test(`${where}: the command starts with the mask and ignored signals of ringmaster's parent`, { skip }, async () => {
    const { out, err } = await commandState(BLOCK, IGNORE, pid1);
    const s = signalState(out);
    assert.equal(s.blocked.toString(16), bits(BLOCK).toString(16));
    assert.equal(s.ignored.toString(16), bits(IGNORE).toString(16));
    assert.match(err, /child started .*exec_shim=true/);
  });

  test(`${where}: with a default parent, nothing blocked, nothing ignored, and no exec shim`, { skip }, async () => {
    const { out, err } = await commandState([], [], pid1);
    const s = signalState(out);
    assert.equal(s.blocked, 0n);
    assert.equal(s.ignored, 0n, 'neither 1..31 nor the real-time signals');
    assert.match(err, /child started .*exec_shim=false/);
  });
}

test('the init takes RINGMASTER_INHERITED_SIGNALS out of its environment: the command never sees it', { skip }, async () => {
  const { out } = await commandState([15], [1], false, ['sh', '-c', 'echo "[${RINGMASTER_INHERITED_SIGNALS-unset}]"']);
  assert.equal(out.trim(), '[unset]');
});

test('a watcher with copy_signals starts its workers with the inherited signals; one without, with the defaults', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-sigs-'));
  const config = join(dir, 'ringmaster.yaml');
  // The workers are cat itself (a shell that forks and waits clears its mask: dash does).
  const watcher = (name: string, copy: boolean) =>
    [`  ${name}:`, '    cmd: cat /proc/self/status', '    output: prefix', '    respawn: false', ...(copy ? ['    copy_signals: true'] : [])];
  writeFileSync(config, ['watchers:', ...watcher('plain', false), ...watcher('copied', true)].join('\n'));
  const rm = startProcess(['python3', PARENT, list(BLOCK), list(IGNORE), BIN, '-c', config], { pid1: false });
  const of = (name: string): string =>
    rm.stdout().split('\n').filter((l) => l.startsWith(`${name}.1 | `)).map((l) => l.slice(`${name}.1 | `.length)).join('\n');
  try {
    await rm.waitStdout(() => of('plain').includes('SigIgn') && of('copied').includes('SigIgn'), 30_000);
    const copied = signalState(of('copied'));
    assert.equal(copied.blocked.toString(16), bits(BLOCK).toString(16));
    assert.equal(copied.ignored.toString(16), bits(IGNORE).toString(16));
    assert.deepEqual(signalState(of('plain')), { blocked: 0n, ignored: 0n });
    rm.proc.kill('SIGTERM');
    const r = await rm.exit();
    assert.equal(r.code, 0, rm.stderr());
  } finally {
    await rm.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('signalsToSet: the shim runs only for a state that a plain spawn does not give', () => {
  const RT = bits([34, 40, 64]);
  // A plain spawn: nothing blocked, 1..31 at their default, 32..64 as the init has them.
  assert.equal(signalsToSet({ blocked: 0n, ignored: 0n }, 0n), undefined);
  assert.equal(signalsToSet({ blocked: 0n, ignored: RT }, RT), undefined);
  assert.equal(signalsToSet({ blocked: 0n, ignored: 0n }, bits([13, 25])), undefined, "the init's own SIGPIPE and SIGXFSZ are reset by libuv");
  assert.deepEqual(signalsToSet({ blocked: 0n, ignored: 0n }, RT), { blocked: 0n, ignored: 0n });
  assert.deepEqual(signalsToSet({ blocked: bits([15]), ignored: 0n }, 0n), { blocked: bits([15]), ignored: 0n });
  assert.deepEqual(signalsToSet({ blocked: 0n, ignored: bits([1]) }, 0n), { blocked: 0n, ignored: bits([1]) });
});
