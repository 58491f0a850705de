// respawn: always | on-failure | never with success_exit_codes, as PID 1 with real processes:
// which exits are restarted (events), completed slots and phases, /readyz, ctl status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRingmaster } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { eventsAfter } from '../helpers/events.js';
import { get } from '../helpers/http.js';

/** A worker that exits with the codes given, one per run (a count kept in `file`), then with the last one. */
function runs(file: string, codes: string[]): string {
  const cases = codes.map((c, i) => `${i}) ${c === 'KILL' ? 'kill -KILL $$' : c === 'SLEEP' ? 'exec sleep 60' : `exit ${c}`};;`).join(' ');
  return `n=$(cat ${file} 2>/dev/null || echo 0); echo $((n + 1)) > ${file}; case $n in ${cases} *) exit 0;; esac`;
}

test('on-failure vs always vs success_exit_codes: restarts, completed slots, phases and /readyz', async () => {
  const t = tempDir();
  const script = (name: string, codes: string[]): string => t.write(`${name}.sh`, runs(`${t.dir}/${name}.count`, codes));
  const cfg = `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
watchers:
  job:
    cmd: sh ${script('job', ['1', 'KILL', '0'])}
    respawn: on-failure
    backoff_initial: 0.1
    autostart: false
  three:
    cmd: sh ${script('three', ['3'])}
    respawn: on-failure
    success_exit_codes: [0, 3]
    autostart: false
  loop:
    cmd: sh ${script('loop', ['0', '3', 'SLEEP', 'SLEEP'])}
    respawn: always
    success_exit_codes: [0, 3]
    backoff_initial: 0.1
    autostart: false
  once:
    cmd: sh ${script('once', ['2'])}
    respawn: never
    autostart: false
`;
  const rm = startRingmaster(['-c', t.write('r.yaml', cfg)]);
  const events = await eventsAfter(rm, () => rm.waitStderr((s) => s.includes('http endpoint listening')));
  try {
    const base = /http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr())?.[1] as string;
    for (const w of ['job', 'three', 'loop', 'once']) assert.equal((await ctl(rm, ['start', w])).code, 0);

    // on-failure: exit 1 and SIGKILL are restarted, exit 0 completes the slot
    await events.waitFor('worker.completed', (e) => e.watcher === 'job');
    await events.waitFor('watcher.phase', (e) => e.watcher === 'job' && e.phase === 'completed');
    const job = events.all('worker.exited', (e) => e.watcher === 'job');
    assert.deepEqual(job.map((e) => e.reason), ['failed', 'signaled', 'exited']);
    assert.equal(events.all('worker.respawning', (e) => e.watcher === 'job').length, 2);
    assert.deepEqual(events.all('worker.completed', (e) => e.watcher === 'job').map((e) => e.code), [0]);

    // on-failure with success_exit_codes [0, 3]: exit 3 completes it at once
    const three = await events.waitFor('worker.completed', (e) => e.watcher === 'three');
    assert.equal(three.code, 3);
    assert.equal(events.all('worker.exited', (e) => e.watcher === 'three')[0]?.reason, 'exited');
    assert.equal(events.all('worker.respawning', (e) => e.watcher === 'three').length, 0);

    // always: exit 0 and exit 3 are restarted (success codes or not), then it runs
    await events.waitFor('worker.spawned', (e) => e.watcher === 'loop' && e.pid > 0, { after: (await events.waitFor('worker.respawning', (e) => e.watcher === 'loop', { after: (await events.waitFor('worker.respawning', (e) => e.watcher === 'loop')).seq })).seq });
    assert.equal(events.all('worker.completed', (e) => e.watcher === 'loop').length, 0);

    // never: exit 2 is not restarted, and the slot is missing
    await events.waitFor('worker.exited', (e) => e.watcher === 'once');
    const ready = await get(`${base}/readyz`);
    assert.equal(ready.status, 503, ready.body);
    const body = JSON.parse(ready.body) as { watchers: Record<string, unknown>; reasons: Array<{ watcher?: string }> };
    assert.deepEqual(body.reasons.map((r) => r.watcher), ['once'], 'only the failed never slot is missing; the completed ones are not');
    assert.equal(body.watchers['job'], undefined);
    assert.equal(body.watchers['three'], undefined);

    // ctl status names the completed phase and slots
    const status = (await ctl(rm, ['status'])).stdout;
    assert.match(status, /^job\s+completed\s/m);
    assert.match(status, /completed: wid 1 \(exit 3, /);

    // stopping the never watcher (on purpose) leaves /readyz ready
    assert.equal((await ctl(rm, ['stop', 'once'])).code, 0);
    assert.equal((await get(`${base}/readyz`)).status, 200);

    // ctl start of a completed watcher runs it again: its script now exits 0 at once
    const seen = events.events.length;
    assert.equal((await ctl(rm, ['start', 'job'])).code, 0);
    await events.waitFor('worker.completed', (e) => e.watcher === 'job', { after: events.events[seen - 1]?.seq ?? 0 });

    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await events.close();
    await rm.close();
    t.cleanup();
  }
});
