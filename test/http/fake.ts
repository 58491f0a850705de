/** Snapshots for the HTTP and metrics tests: plain data shaped like the init's. */
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
    exits: { exited: 0, failed: 0, signaled: 0, spawn_failed: 0, stopped: 0 },
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

/** The series of an exposition text: `name{labels}` -> value, and `name` -> TYPE. */
export function parseExposition(text: string): { values: Map<string, number>; types: Map<string, string> } {
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1] as string, t[2] as string);
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    values.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return { values, types };
}
