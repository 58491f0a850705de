import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tempDir } from '../helpers/config.js';
import { collectEvents } from '../helpers/events.js';
import { FIXTURES, startProcess } from '../helpers/run.js';
import { scheduledTask } from '../helpers/tasks.js';

test('as PID 1: an every-second schedule runs on its seconds, never two runs at once (a 2.5 s run skips ticks, counted), stopped at shutdown', async () => {
  const t = tempDir();
  const marks = `${t.dir}/marks`;
  const cfg = t.write('r.yaml', `watchers:\n  idle:\n    cmd: node ${FIXTURES}sigworker.mjs\n`);
  // each run writes its start and end (ms); sleeps 2.5 s on a 1 s schedule
  const script = `echo start $(date +%s%3N) >> ${marks}; sleep 2.5; echo end $(date +%s%3N) >> ${marks}`;
  const task = scheduledTask({ name: 'slow', argv: ['/bin/sh', '-c', script], cmd: '/bin/sh', schedule: '*/1 * * * * *', timezone: undefined });
  const rm = startProcess([process.execPath, `${FIXTURES}schedule-init.mjs`, cfg, JSON.stringify([task])]);
  try {
    await rm.waitStderr((s) => s.includes('all watchers started'));
    const ev = await collectEvents(rm);
    const second = await ev.waitFor('task.finished', (e) => e.task === 'slow', { ms: 20_000 });
    await ev.waitFor('task.finished', (e) => e.task === 'slow' && e.seq > second.seq, { ms: 20_000 });
    const started = ev.all('task.started', (e) => e.task === 'slow');
    const finished = ev.all('task.finished', (e) => e.task === 'slow');
    const skipped = ev.all('task.skipped', (e) => e.task === 'slow');
    assert.ok(started.every((e) => e.scheduled && typeof e.pid === 'number'), JSON.stringify(started));
    assert.ok(finished.every((e) => e.scheduled && e.result.kind === 'success'), JSON.stringify(finished));
    assert.ok(skipped.length >= 2, `ticks skipped while a run went on: ${skipped.length}`);
    // never two at once: each start comes after the previous run's end
    const lines = readFileSync(marks, 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]);
    for (let i = 0; i < lines.length; i++) assert.equal(lines[i]?.[0], i % 2 === 0 ? 'start' : 'end', lines.join('\n'));
    for (let i = 2; i < lines.length; i += 2) assert.ok(Number(lines[i]?.[1]) >= Number(lines[i - 1]?.[1]), lines.join('\n'));
    // on its schedule: a run starts at (or just after) a whole second, never before it; two starts are whole seconds apart
    const at = started.map((e) => e.time);
    for (let i = 1; i < at.length; i++) assert.ok(Math.round(((at[i] as number) - (at[i - 1] as number)) / 1000) >= 3, JSON.stringify(at));
    await ev.close();
    process.kill(await rm.initPidNow(), 'SIGTERM');
    const exit = await rm.exit();
    assert.equal(exit.code, 0, rm.stderr());
    assert.match(rm.stderr(), /scheduled task run skipped/);
  } finally {
    await rm.close();
    t.cleanup();
  }
});
