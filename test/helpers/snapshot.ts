/** Snapshots of an init as plain data, for the tests of what reads one (HTTP, metrics, ctl); override what a test is about. */
import type { InitSnapshot } from '../../src/lifecycle/api.js';
import type { WatcherStatus, WorkerStatus } from '../../src/supervisor/watcher.js';

export function worker(wid: number, pid: number | undefined, ready = true): WorkerStatus {
  return { wid, pid, startedAt: 1_700_000_000_000, state: 'running', ready, readyFailed: false, statusText: undefined, mainPid: undefined };
}

export function watcher(name: string, over: Partial<WatcherStatus> = {}): WatcherStatus {
  return {
    name,
    phase: 'running',
    desired: 2,
    running: 2,
    ready: 2,
    restarts: 0,
    exits: { exited: 0, failed: 0, signaled: 0, oom: 0, spawn_failed: 0, stopped: 0 },
    failuresInARow: 0,
    notifyRejected: 0,
    lastExit: undefined,
    fatalReason: undefined,
    rollout: undefined,
    workers: [],
    ...over,
  };
}

export function snapshot(over: Partial<InitSnapshot> = {}): InitSnapshot {
  return {
    pid: process.pid,
    version: '1.2.3',
    phase: 'running',
    startedAt: 1_700_000_000_000,
    watchers: [],
    sockets: [],
    zombiesReaped: 0,
    signalsForwarded: {},
    reloads: { success: 0, failure: 0, lastSuccessAt: 1_700_000_000_000, lastError: undefined },
    configFiles: ['/etc/ringmaster.yaml'],
    ...over,
  };
}
