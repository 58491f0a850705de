import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reaper, type ReaperSys } from '../../src/lifecycle/reaper.js';
import type { WaitStatus } from '../../src/sys/libc.js';

/** A fake kernel: a set of children, some of them exited (zombies). */
function fakeKernel(children: Record<number, 'running' | 'zombie'>) {
  const state = new Map(Object.entries(children).map(([k, v]) => [Number(k), v]));
  const calls: string[] = [];
  const sys: ReaperSys = {
    peekExitedChild() {
      calls.push('peek');
      if (state.size === 0) return -1;
      for (const [pid, s] of state) if (s === 'zombie') return pid;
      return 0;
    },
    waitpidNoHang(pid: number): WaitStatus | null {
      calls.push(`wait ${pid}`);
      const s = state.get(pid);
      if (s === undefined) throw Object.assign(new Error('ECHILD'), { code: 'ECHILD' });
      if (s === 'running') return null;
      state.delete(pid);
      return { kind: 'exited', code: 0 };
    },
    children: () => [...state.keys()],
  };
  return { sys, state, calls };
}

test('one pass reaps every exited orphan (one SIGCHLD can stand for many exits)', () => {
  const k = fakeKernel({ 10: 'zombie', 11: 'zombie', 12: 'running', 13: 'zombie' });
  const r = new Reaper(k.sys);
  assert.equal(r.pass(), 3);
  assert.deepEqual([...k.state.keys()], [12]);
  assert.equal(r.reapedTotal, 3);
  assert.equal(r.pass(), 0);
});

test('a pid we own is never reaped, even when it is the first exited child', () => {
  const k = fakeKernel({ 20: 'zombie', 21: 'zombie', 22: 'zombie' });
  const r = new Reaper(k.sys);
  r.own(20);
  assert.equal(r.pass(), 2);
  assert.deepEqual([...k.state.keys()], [20]);
  assert.ok(!k.calls.includes('wait 20'), 'waitpid was called on an owned pid');
});

test('once disowned (libuv has reported it), a pid is reaped like any other', () => {
  const k = fakeKernel({ 30: 'zombie' });
  const r = new Reaper(k.sys);
  r.own(30);
  assert.equal(r.pass(), 0);
  r.disown(30);
  assert.equal(r.pass(), 1);
});

test('no children at all: a pass does nothing', () => {
  const k = fakeKernel({});
  assert.equal(new Reaper(k.sys).pass(), 0);
});

test('listeners hear every reap', () => {
  const k = fakeKernel({ 40: 'zombie', 41: 'zombie' });
  const r = new Reaper(k.sys);
  const seen: number[] = [];
  const off = r.onReap((pid) => seen.push(pid));
  r.pass();
  off();
  assert.deepEqual(seen.sort(), [40, 41]);
});

test('many zombies at once: after a run of peeks, one listing and one waitpid each', () => {
  const kids: Record<number, 'running' | 'zombie'> = { 1: 'running' };
  for (let p = 100; p < 300; p++) kids[p] = 'zombie';
  const k = fakeKernel(kids);
  const r = new Reaper(k.sys);
  r.own(1);
  assert.equal(r.pass(), 200);
  assert.deepEqual([...k.state.keys()], [1]);
  const peeks = k.calls.filter((c) => c === 'peek').length;
  assert.ok(peeks <= 40, `${peeks} peeks for 200 zombies`);
  assert.ok(!k.calls.includes('wait 1'), 'waitpid was called on an owned pid');
});

test('zombies the /proc listing does not show are still reaped in the same pass, by peeking', () => {
  const kids: Record<number, 'running' | 'zombie'> = { 1: 'running' };
  for (let p = 100; p < 200; p++) kids[p] = 'zombie';
  const k = fakeKernel(kids);
  // The listing covers only the main thread's children: say pids 150..199 sit elsewhere.
  k.sys.children = () => [...k.state.keys()].filter((p) => p < 150);
  const r = new Reaper(k.sys);
  r.own(1);
  assert.equal(r.pass(), 100);
  assert.deepEqual([...k.state.keys()], [1]);
});
