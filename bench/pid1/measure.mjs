/**
 * One sample of each figure, for one init. The driver (run.mjs) calls these run by run,
 * rotating the order of the inits, so that machine noise falls on all of them alike.
 *
 * An "init" here is { name, argv(child) -> argv, stopSignal }: `argv` wraps the child
 * command the way that init is invoked (`tini -- CMD`, `ringmaster -- CMD`, or CMD alone
 * for the baselines).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { childrenOf, startInit, statusOf, stop, waitExit, signalInit } from './harness.mjs';

/**
 * RSS of the init with an idle child, sampled `sampleAfterMs` after the spawn.
 * @returns {{vmRssKb, vmHwmKb, rssAnonKb, rssFileKb, threads, children, exit}}
 */
export async function sampleRss(init, { sampleAfterMs = 1000, idleChild }) {
  const t0 = Date.now();
  const h = await startInit(init.argv(idleChild));
  await sleep(Math.max(0, sampleAfterMs - (Date.now() - t0)));
  const st = statusOf(h.pid);
  const children = childrenOf(h.pid).length;
  const exit = await stop(h, { signal: init.stopSignal ?? 'SIGTERM', graceMs: 3000 });
  if (st === null) throw new Error(`${init.name}: init exited before the RSS sample; stderr: ${h.stderr().trim()}`);
  return {
    vmRssKb: st.VmRSS,
    vmHwmKb: st.VmHWM,
    rssAnonKb: st.RssAnon,
    rssFileKb: st.RssFile,
    threads: st.Threads,
    children,
    exit,
  };
}

/**
 * Reap N orphans under `init`. `generator(n, mode, timeoutMs)` is the child argv (zgen, or
 * the Node fixture when there is no compiler); it prints one JSON line.
 * @returns {{ms, remaining, handed, initHwmKb, exit, wallMs}}
 */
export async function sampleReap(init, { n, mode, timeoutMs, generator }) {
  const t0 = Date.now();
  const h = await startInit(init.argv(generator(n, mode, timeoutMs)), { timeoutMs: 10000 });
  let exit = await waitExit(h, timeoutMs + 20000);
  if (exit === undefined) exit = await stop(h, { signal: 'SIGKILL' });
  const line = h.stdout().trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`${init.name}: generator printed nothing (exit ${JSON.stringify(exit)}); stderr: ${h.stderr().trim()}`);
  const r = JSON.parse(line);
  return {
    ms: r.ms,
    remaining: r.remaining,
    remainingAnyThread: r.remaining_any_thread,
    handed: r.handed,
    initHwmKb: r.init_hwm_kb,
    exit,
    wallMs: Date.now() - t0,
  };
}

/**
 * SIGTERM forwarding latency: the receiver (sigrecv) writes the CLOCK_MONOTONIC time at
 * which its handler ran; we take process.hrtime.bigint() (the same clock, checked at
 * startup) just before kill() of the init's host pid.
 * @returns {{us, exit}}
 */
export async function sampleLatency(init, { receiver, outPath, settleMs = 50, timeoutMs = 10000 }) {
  for (const p of [outPath, `${outPath}.ready`, `${outPath}.tmp`]) rmSync(p, { force: true });
  const h = await startInit(init.argv(receiver(outPath, timeoutMs)));
  try {
    const end = Date.now() + timeoutMs;
    while (!existsSync(`${outPath}.ready`)) {
      if (Date.now() > end || h.exitInfo !== undefined) {
        throw new Error(`${init.name}: receiver never got ready; stderr: ${h.stderr().trim()}`);
      }
      await sleep(2);
    }
    await sleep(settleMs);
    const sent = process.hrtime.bigint();
    if (!signalInit(h, 'SIGTERM')) throw new Error(`${init.name}: init gone before the signal`);
    let exit = await waitExit(h, timeoutMs);
    if (exit === undefined) exit = await stop(h, { signal: 'SIGKILL' });
    if (!existsSync(outPath)) {
      return { us: Number.NaN, exit, lost: true, stderr: h.stderr().trim() };
    }
    const received = BigInt(readFileSync(outPath, 'utf8').trim());
    return { us: Number(received - sent) / 1000, exit };
  } finally {
    await stop(h, { signal: 'SIGKILL' });
    for (const p of [outPath, `${outPath}.ready`, `${outPath}.tmp`]) rmSync(p, { force: true });
  }
}
