import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { createMetrics } from '../../src/metrics/index.js';
import { CpuAccounts } from '../../src/metrics/cpu.js';
import { parseListenTable, parseTcpExt } from '../../src/metrics/proc.js';
import type { InitSnapshot } from '../../src/lifecycle/api.js';
import { parseExposition } from './fake.js';
import { snapshot, watcher, worker } from '../helpers/snapshot.js';

const PAGE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }));
const HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

async function sleepers(n: number): Promise<{ pids: number[]; kill(): Promise<void> }> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const c = spawn('sleep', ['1000'], { stdio: 'ignore' });
    children.push(c);
    await once(c, 'spawn');
  }
  // Wait until each has exec'd and sleeps: its memory and CPU then stay put while we compare.
  for (const c of children) {
    for (;;) {
      const stat = readFileSync(`/proc/${c.pid}/stat`, 'latin1');
      if (stat.includes('(sleep) S ')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  return {
    pids: children.map((c) => c.pid as number),
    kill: async () => {
      await Promise.all(
        children.map(async (c) => {
          if (c.exitCode === null && c.signalCode === null) {
            const exited = once(c, 'exit');
            c.kill('SIGKILL');
            await exited;
          }
        }),
      );
    },
  };
}

/** utime+stime (ticks) and rss (pages) of a process, read here independently of src/metrics. */
function usageOf(pid: number): { ticks: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rss = Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]);
  return { ticks: Number(f[11]) + Number(f[12]), rssBytes: rss * PAGE };
}

async function scrape(snap: () => InitSnapshot) {
  return parseExposition(await createMetrics(snap).render());
}

test('metrics: every family, with its type, labels and values, for a snapshot of 2 watchers', async () => {
  const s = await sleepers(3);
  try {
    const [a, b, c] = s.pids as [number, number, number];
    const snap = snapshot({
      version: '1.2.3',
      watchers: [
        watcher('web', {
          desired: 3,
          running: 2,
          ready: 1,
          restarts: 4,
          exits: { exited: 1, failed: 2, signaled: 3, oom: 2, spawn_failed: 0, stopped: 5 },
          resourceRetries: 6,
          notifyRejected: 9,
          workers: [worker(1, a), worker(2, b, false), worker(3, undefined)],
        }),
        watcher('jobs', { phase: 'fatal', desired: 1, running: 1, ready: 0, workers: [worker(1, c)] }),
      ],
      zombiesReaped: 7,
      signalsForwarded: { SIGHUP: 2, SIGUSR1: 1 },
      reloads: { success: 3, failure: 1, lastSuccessAt: 1_700_000_123_456, lastError: 'bad' },
    });
    const { values, types } = await scrape(() => snap);

    const expected: Record<string, number> = {
      'ringmaster_watcher_processes{watcher="web"}': 2,
      'ringmaster_watcher_processes{watcher="jobs"}': 1,
      'ringmaster_watcher_desired_processes{watcher="web"}': 3,
      'ringmaster_watcher_desired_processes{watcher="jobs"}': 1,
      'ringmaster_watcher_ready_processes{watcher="web"}': 1,
      'ringmaster_watcher_ready_processes{watcher="jobs"}': 0,
      'ringmaster_watcher_state{watcher="web",state="stopped"}': 0,
      'ringmaster_watcher_state{watcher="web",state="running"}': 1,
      'ringmaster_watcher_state{watcher="web",state="stopping"}': 0,
      'ringmaster_watcher_state{watcher="web",state="fatal"}': 0,
      'ringmaster_watcher_state{watcher="jobs",state="stopped"}': 0,
      'ringmaster_watcher_state{watcher="jobs",state="running"}': 0,
      'ringmaster_watcher_state{watcher="jobs",state="stopping"}': 0,
      'ringmaster_watcher_state{watcher="jobs",state="fatal"}': 1,
      'ringmaster_process_restarts_total{watcher="web",reason="exit"}': 4,
      'ringmaster_process_restarts_total{watcher="web",reason="memory"}': 0,
      'ringmaster_process_restarts_total{watcher="jobs",reason="exit"}': 0,
      'ringmaster_process_exits_total{watcher="web",reason="exited"}': 1,
      'ringmaster_process_exits_total{watcher="web",reason="failed"}': 2,
      'ringmaster_process_exits_total{watcher="web",reason="signaled"}': 3,
      'ringmaster_process_exits_total{watcher="web",reason="oom"}': 2,
      'ringmaster_process_exits_total{watcher="web",reason="spawn_failed"}': 0,
      'ringmaster_process_exits_total{watcher="web",reason="stopped"}': 5,
      'ringmaster_process_exits_total{watcher="jobs",reason="failed"}': 0,
      'ringmaster_watcher_resource_retries_total{watcher="web"}': 6,
      'ringmaster_watcher_resource_retries_total{watcher="jobs"}': 0,
      'ringmaster_notify_rejected_total{watcher="web"}': 9,
      'ringmaster_notify_rejected_total{watcher="jobs"}': 0,
      'ringmaster_watcher_cpu_seconds_total{watcher="web"}': (usageOf(a).ticks + usageOf(b).ticks) / HZ,
      'ringmaster_watcher_cpu_seconds_total{watcher="jobs"}': usageOf(c).ticks / HZ,
      'ringmaster_watcher_resident_memory_bytes{watcher="web"}': usageOf(a).rssBytes + usageOf(b).rssBytes,
      'ringmaster_watcher_resident_memory_bytes{watcher="jobs"}': usageOf(c).rssBytes,
      'ringmaster_zombies_reaped_total': 7,
      'ringmaster_signals_forwarded_total{signal="SIGHUP"}': 2,
      'ringmaster_signals_forwarded_total{signal="SIGUSR1"}': 1,
      'ringmaster_config_reloads_total{result="success"}': 3,
      'ringmaster_config_reloads_total{result="failure"}': 1,
      'ringmaster_config_last_reload_success_timestamp_seconds': 1_700_000_123.456,
      'ringmaster_info{version="1.2.3"}': 1,
    };
    for (const [series, value] of Object.entries(expected)) assert.equal(values.get(series), value, series);
    assert.ok((values.get('ringmaster_watcher_resident_memory_bytes{watcher="jobs"}') ?? 0) > 0);

    assert.deepEqual(Object.fromEntries(types), {
      ringmaster_watcher_processes: 'gauge',
      ringmaster_watcher_desired_processes: 'gauge',
      ringmaster_watcher_ready_processes: 'gauge',
      ringmaster_watcher_completed_processes: 'gauge',
      ringmaster_watcher_state: 'gauge',
      ringmaster_process_restarts_total: 'counter',
      ringmaster_process_exits_total: 'counter',
      ringmaster_watcher_resource_retries_total: 'counter',
      ringmaster_notify_rejected_total: 'counter',
      ringmaster_watcher_cpu_seconds_total: 'counter',
      ringmaster_watcher_resident_memory_bytes: 'gauge',
      ringmaster_socket_accept_queue: 'gauge',
      ringmaster_socket_accept_queue_max: 'gauge',
      ringmaster_listen_overflows_total: 'counter',
      ringmaster_listen_drops_total: 'counter',
      ringmaster_task_runs_total: 'counter',
      ringmaster_task_last_success_timestamp_seconds: 'gauge',
      ringmaster_task_duration_seconds: 'gauge',
      ringmaster_task_next_run_timestamp_seconds: 'gauge',
      ringmaster_task_skipped_total: 'counter',
      ringmaster_info: 'gauge',
      ringmaster_zombies_reaped_total: 'counter',
      ringmaster_signals_forwarded_total: 'counter',
      ringmaster_config_reloads_total: 'counter',
      ringmaster_config_last_reload_success_timestamp_seconds: 'gauge',
      ringmaster_cgroup_cpu_limit_cores: 'gauge',
      ringmaster_cgroup_memory_limit_bytes: 'gauge',
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      process_virtual_memory_bytes: 'gauge',
      process_start_time_seconds: 'gauge',
      process_open_fds: 'gauge',
      process_max_fds: 'gauge',
    });
    // No nodejs_* or other default metrics.
    assert.deepEqual([...values.keys()].filter((k) => !/^(ringmaster|process)_/.test(k)), []);
  } finally {
    await s.kill();
  }
});

test('metrics: tasks, from the snapshot (runs by result, last success, last duration, skipped runs)', async () => {
  const runs = { success: 2, failure: 1, timeout: 0, 'spawn-failed': 0 };
  const tasks: NonNullable<InitSnapshot['tasks']> = [
    { name: 'migrate', when: 'start', state: 'succeeded', runs: 3, runsByResult: runs, skipped: 0, lastSuccessAt: 1_700_000_123_500, lastRun: { result: 'success', status: 0, durationMs: 1500, finishedAt: 1_700_000_123_500, attempt: 2, scheduled: false } },
    { name: 'backup', when: 'schedule', schedule: '0 3 * * *', state: 'pending', runs: 0, runsByResult: { success: 0, failure: 0, timeout: 0, 'spawn-failed': 0 }, skipped: 4, nextRunAt: 1_700_010_800_000 },
  ];
  const text = await createMetrics(() => snapshot({ tasks })).render();
  assert.match(text, /^ringmaster_task_runs_total\{task="migrate",result="success"\} 2$/m);
  assert.match(text, /^ringmaster_task_runs_total\{task="migrate",result="failure"\} 1$/m);
  assert.match(text, /^ringmaster_task_runs_total\{task="backup",result="timeout"\} 0$/m);
  assert.match(text, /^ringmaster_task_last_success_timestamp_seconds\{task="migrate"\} 1700000123.5$/m);
  assert.doesNotMatch(text, /ringmaster_task_last_success_timestamp_seconds\{task="backup"\}/, 'absent until it succeeded');
  assert.match(text, /^ringmaster_task_duration_seconds\{task="migrate"\} 1.5$/m);
  assert.match(text, /^ringmaster_task_skipped_total\{task="backup"\} 4$/m);
  assert.match(text, /^ringmaster_task_next_run_timestamp_seconds\{task="backup"\} 1700010800$/m);
  assert.doesNotMatch(text, /ringmaster_task_next_run_timestamp_seconds\{task="migrate"\}/, 'only a scheduled task has one');
});

test('metrics: the process_* metrics describe this process', async () => {
  const { values } = await scrape(() => snapshot());
  const limits = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
  assert.equal(values.get('process_max_fds'), Number(limits?.[1]));
  // Same count as here: the fds open now (readdir's own handle not counted).
  assert.equal(values.get('process_open_fds'), readdirSync('/proc/self/fd').length - 1);
  const start = values.get('process_start_time_seconds') ?? 0;
  assert.ok(Math.abs(start - (Date.now() / 1000 - process.uptime())) < 2, `start time ${start}`);
  assert.ok((values.get('process_cpu_seconds_total') ?? 0) > 0);
  assert.ok((values.get('process_resident_memory_bytes') ?? 0) > 1e6);
  assert.ok((values.get('process_virtual_memory_bytes') ?? 0) >= (values.get('process_resident_memory_bytes') ?? 0));
});

test('metrics: one snapshot per scrape; a removed watcher leaves no series', async () => {
  let calls = 0;
  let snap = snapshot({ watchers: [watcher('web'), watcher('old')] });
  const m = createMetrics(() => {
    calls++;
    return snap;
  });
  await m.render();
  assert.equal(calls, 1);
  snap = snapshot({ watchers: [watcher('web')] });
  const text = await m.render();
  assert.equal(calls, 2);
  assert.doesNotMatch(text, /watcher="old"/);
  assert.match(text, /watcher="web"/);
});

test('metrics: watcher CPU never goes down when a worker leaves', async () => {
  // This process as the worker: it has used CPU for sure.
  let snap = snapshot({ watchers: [watcher('web', { workers: [worker(1, process.pid)] })] });
  const m = createMetrics(() => snap);
  const cpu = async () => parseExposition(await m.render()).values.get('ringmaster_watcher_cpu_seconds_total{watcher="web"}') ?? -1;
  const first = await cpu();
  assert.ok(first > 0);
  snap = snapshot({ watchers: [watcher('web', { workers: [] })] });
  const after = await cpu();
  assert.ok(after >= first, `${after} < ${first}`);
  assert.equal(await cpu(), after);
});

test('CpuAccounts: replaced, reused and unreadable pids', () => {
  const c = new CpuAccounts();
  assert.equal(c.update('w', [{ pid: 10, startTicks: 1, cpuTicks: 50 }, { pid: 11, startTicks: 1, cpuTicks: 20 }]), 70);
  // 10 replaced by 12: its 50 ticks are kept.
  assert.equal(c.update('w', [{ pid: 12, startTicks: 9, cpuTicks: 5 }, { pid: 11, startTicks: 1, cpuTicks: 25 }]), 80);
  // pid 11 reused by a new process (another start time): the old one retires with 25.
  assert.equal(c.update('w', [{ pid: 12, startTicks: 9, cpuTicks: 5 }, { pid: 11, startTicks: 30, cpuTicks: 1 }]), 81);
  // 12 still listed but unreadable (exiting): its value is kept, not retired twice.
  assert.equal(c.update('w', [{ pid: 11, startTicks: 30, cpuTicks: 1 }], [12]), 81);
  assert.equal(c.update('w', [{ pid: 11, startTicks: 30, cpuTicks: 1 }]), 81);
  c.retain(new Set());
  assert.equal(c.update('w', []), 0);
});

test('/proc parsers: LISTEN rows of tcp and tcp6 (the listeners come first: the first other row ends them), TcpExt', () => {
  const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F91 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 1240 1 0000000000000000 100 0 0 10 0
   2: 00000000:1F91 00000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 1241 1 0000000000000000 100 0 0 10 0
   3: 0100007F:1F90 0100007F:D1C2 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 20 4 30 10 -1
   4: 00000000:1F92 00000000:0000 0A 00000000:00000009 00:00000000 00000000     0        0 9999 1 0000000000000000 100 0 0 10 0
`;
  const t = parseListenTable(tcp);
  assert.deepEqual([...t.byInode], [[1234, 5], [1240, 2], [1241, 1]]);
  assert.deepEqual(t.byPort.get(0x1f90), { queued: 5, rows: 1 });
  assert.deepEqual(t.byPort.get(0x1f91), { queued: 3, rows: 2 });
  const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:0000000C 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
`;
  assert.deepEqual([...parseListenTable(tcp6).byInode], [[777, 12]]);
  assert.deepEqual(parseListenTable(''), { byInode: new Map(), byPort: new Map() });
  const netstat = `TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPBacklogDrop
TcpExt: 1 42 43 0
IpExt: InNoRoutes
IpExt: 0
`;
  assert.deepEqual(parseTcpExt(netstat), { overflows: 42, drops: 43 });
  assert.equal(parseTcpExt('IpExt: a\nIpExt: 1\n'), undefined);
});
