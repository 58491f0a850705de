// A queue worker that drains its jobs and exits 0: with respawn: on-failure it is not
// restarted (its slot is completed); a crash (another code, a signal) would be.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { at } from './state.mjs';

const jobs = Number(process.env.QUEUE_JOBS ?? 3);
for (let i = 1; i <= jobs; i++) {
  await sleep(100);
  appendFileSync(at('queue.log'), `job ${i}\n`);
}
console.log(`queue: ${jobs} jobs done`);
