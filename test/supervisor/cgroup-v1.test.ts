/**
 * `numprocesses: auto` against the real kernel: a cgroup v1 cpu cgroup with a quota of
 * 150000/100000 (1.5 CPUs) under the writable v1 hierarchy, ringmaster moved into it by a
 * wrapper shell before it starts. Needs root and a writable v1 cpu hierarchy (CI has both);
 * the cgroup is removed afterwards, once its processes are gone, whatever happened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, sleep, startProcess, type Started } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { get } from '../helpers/http.js';

const V1_CPU = '/sys/fs/cgroup/cpu';

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (creates a cgroup)';
  try {
    accessSync(join(V1_CPU, 'cgroup.procs'), constants.W_OK);
  } catch {
    return `${V1_CPU} is not a writable cgroup v1 cpu hierarchy`;
  }
  return undefined;
}

const pidsIn = (dir: string): number[] => readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);

/** Kill what is left in the cgroup (only this test's processes), wait until it is empty, remove it. */
async function removeCgroup(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (let i = 0; i < 500; i++) {
    const left = pidsIn(dir);
    if (left.length === 0) break;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await sleep(20);
  }
  rmdirSync(dir);
}

test('in a 1.5-CPU v1 cgroup, auto runs 2 workers and auto*3 runs 5; check, start log, ctl status and the gauge say why', { skip: whyNot() }, async () => {
  const dir = join(V1_CPU, `ringmaster-test-${process.pid}`);
  mkdirSync(dir);
  let rm: Started | undefined;
  try {
    writeFileSync(join(dir, 'cpu.cfs_period_us'), '100000');
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), '150000');
    const t = tempDir();
    const config = t.write(
      'auto.yaml',
      `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
watchers:
  web:
    cmd: sleep 600
    numprocesses: auto
  jobs:
    cmd: sleep 600
    numprocesses: auto*3
`,
    );
    const inCgroup = (args: string): string[] => ['sh', '-c', `echo $$ > ${dir}/cgroup.procs && exec "${process.execPath}" ${BIN} ${args}`];

    const check = startProcess(inCgroup(`check ${config}`), { pid1: false });
    const checked = await check.exit();
    assert.equal(checked.code, 0, check.stderr());
    assert.match(check.stdout(), /^ {2}web: 2 processes \(auto: cgroup v1 cpu limit 1\.5 CPUs\)/m);
    assert.match(check.stdout(), /^ {2}jobs: 5 processes \(auto\*3: cgroup v1 cpu limit 1\.5 CPUs\)/m);

    rm = startProcess(inCgroup(`-c ${config}`), { pid1: false });
    await rm.waitStderr((s) => s.includes('all watchers started'));
    assert.match(rm.stderr(), /numprocesses watcher=web numprocesses=2 source="auto: cgroup v1 cpu limit 1\.5 CPUs"/);
    type W = { name: string; desired: number; desiredSource?: string; workers: unknown[] };
    const status = async (): Promise<W[]> => (JSON.parse((await ctl(rm as Started, ['status', '--json'])).stdout) as { watchers: W[] }).watchers;
    const by = async (name: string): Promise<W | undefined> => (await status()).find((w) => w.name === name);
    assert.deepEqual(await by('web').then((w) => [w?.desired, w?.workers.length, w?.desiredSource]), [2, 2, 'auto: cgroup v1 cpu limit 1.5 CPUs']);
    assert.deepEqual(await by('jobs').then((w) => [w?.desired, w?.workers.length]), [5, 5]);
    assert.match((await ctl(rm, ['status'])).stdout, /^ {2}numprocesses: 2 \(auto: cgroup v1 cpu limit 1\.5 CPUs\)$/m);

    // ctl scale NAME auto*2: resolved by the init, from its own cgroup
    assert.equal((await ctl(rm, ['scale', 'jobs', 'auto*2'])).stdout, 'jobs: 3 processes desired\n');
    assert.deepEqual(await by('jobs').then((w) => [w?.desired, w?.desiredSource]), [3, 'auto*2: cgroup v1 cpu limit 1.5 CPUs']);
    assert.equal((await ctl(rm, ['scale', 'jobs', '1'])).code, 0);
    assert.equal((await by('jobs'))?.desiredSource, undefined);

    const url = /http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr())?.[1];
    assert.ok(url, rm.stderr());
    const metrics = (await get(`${url}/metrics`)).body;
    assert.match(metrics, /^ringmaster_cgroup_cpu_limit_cores\{cgroup_version="1"\} 1\.5$/m);

    rm.proc.kill('SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm?.close();
    await removeCgroup(dir);
  }
});
