/**
 * Turns the raw samples into summaries (medians, ranges, ratios taken within each run)
 * and prints them as Markdown tables, ready to paste into BENCHMARKS.md.
 */
import { pairedRatios, summary } from './stats.mjs';

const pick = (arr, f) => (arr ?? []).map((s) => (s === undefined || s === null ? Number.NaN : f(s)));
const finite = (xs) => xs.filter(Number.isFinite);

function ratioSummary(a, b) {
  const r = pairedRatios(a, b);
  return r.length ? summary(r) : null;
}

/**
 * @param samples  {rss: {init: [sample by run]}, reap: {storm: {...}, dead: {...}}, latency: {...}}
 * @param names    {reference: 'tini', bareNode: 'node -e', subject: 'ringmaster'}
 */
export function summarize(samples, { reference, bareNode }) {
  const out = { rss: {}, reap: { storm: {}, dead: {} }, latency: {} };

  const rssOf = (name) => pick(samples.rss[name], (s) => s.vmRssKb);
  for (const [name, runs] of Object.entries(samples.rss)) {
    out.rss[name] = {
      vmRssKb: summary(finite(rssOf(name))),
      vmHwmKb: summary(finite(pick(runs, (s) => s.vmHwmKb))),
      rssAnonKb: summary(finite(pick(runs, (s) => s.rssAnonKb))),
      rssFileKb: summary(finite(pick(runs, (s) => s.rssFileKb))),
      threads: summary(finite(pick(runs, (s) => s.threads))),
      vsReference: ratioSummary(rssOf(name), rssOf(reference)),
      vsBareNode: ratioSummary(rssOf(name), rssOf(bareNode)),
    };
  }

  for (const mode of ['storm', 'dead']) {
    const msOf = (name) => pick(samples.reap[mode][name], (s) => (s.remaining === 0 ? s.ms : Number.NaN));
    for (const [name, runs] of Object.entries(samples.reap[mode])) {
      const done = finite(msOf(name));
      out.reap[mode][name] = {
        ms: done.length ? summary(done) : null,
        runs: finite(pick(runs, () => 1)).length,
        maxRemaining: Math.max(...finite(pick(runs, (s) => s.remaining))),
        initHwmKb: summary(finite(pick(runs, (s) => s.initHwmKb))),
        vsReference: ratioSummary(msOf(name), msOf(reference)),
      };
    }
  }

  const usOf = (name) => pick(samples.latency[name], (s) => s.us);
  for (const name of Object.keys(samples.latency)) {
    const us = finite(usOf(name));
    out.latency[name] = {
      us: summary(us),
      lost: pick(samples.latency[name], (s) => (s.lost ? 1 : 0)).filter((x) => x === 1).length,
      vsReference: ratioSummary(usOf(name), usOf(reference)),
    };
  }
  return out;
}

// ---- printing -----------------------------------------------------------------------

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const mb = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : '-');
const ratio = (r) => (r ? `${f2(r.median)} (${f2(r.min)}-${f2(r.max)})` : '-');

function table(head, rows) {
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

export function printReport({ meta, summary: s, problems, warnings, options }) {
  const w = (t) => process.stdout.write(t);
  w(`\n# PID 1 benchmark, ${meta.date}\n`);
  w(`${meta.nproc} CPU (${meta.cpu}), kernel ${meta.kernel}, node ${meta.node}, ${meta.tini ?? 'no tini'}, ${meta.dumbInit ?? 'no dumb-init'}, ringmaster ${meta.ringmaster}\n`);
  w(`load average ${meta.loadavgStart.join(' ')} at start, ${meta.loadavgEnd.join(' ')} at end; generator ${meta.generator}, receiver ${meta.receiver}\n`);

  if (Object.keys(s.rss).length) {
    w(`\n## RSS of the init, idle child \`sleep\`, sampled at 1 s (${options.rssRuns} runs; MB = MiB; ratios are medians of per-run ratios, min-max)\n\n`);
    w(table(['init', 'VmRSS median (min-max)', 'VmHWM median', 'RssAnon', 'RssFile', 'threads', 'x tini', 'x bare node'],
      Object.entries(s.rss).map(([name, r]) => [name, `${mb(r.vmRssKb.median)} (${mb(r.vmRssKb.min)}-${mb(r.vmRssKb.max)})`,
        mb(r.vmHwmKb.median), mb(r.rssAnonKb.median), mb(r.rssFileKb.median), f1(r.threads.median), ratio(r.vsReference), ratio(r.vsBareNode)])));
  }

  for (const mode of ['storm', 'dead']) {
    const rows = Object.entries(s.reap[mode]);
    if (!rows.length) continue;
    const what = mode === 'storm' ? 'orphans that exit at once (storm)' : 'already-dead orphans';
    w(`\n## Reap ${options.orphans} ${what}, ms (${options.reapRuns} runs)\n\n`);
    w(table(['init', 'median', 'min-max', 'p90', 'x tini', 'max left', 'init VmHWM after'],
      rows.map(([name, r]) => [name, r.ms ? f1(r.ms.median) : `never (${r.runs} run)`, r.ms ? `${f1(r.ms.min)}-${f1(r.ms.max)}` : '-',
        r.ms ? f1(r.ms.p90) : '-', ratio(r.vsReference), String(r.maxRemaining), `${mb(r.initHwmKb.median)} MB`])));
  }

  const lat = Object.entries(s.latency);
  if (lat.length) {
    w(`\n## SIGTERM forwarding latency, us (${options.latencyRuns} runs)\n\n`);
    w(table(['init', 'median', 'p90', 'min', 'max', 'x tini', 'lost'],
      lat.map(([name, r]) => [name, f1(r.us.median), f1(r.us.p90), f1(r.us.min), f1(r.us.max), ratio(r.vsReference), String(r.lost)])));
  }

  if (problems.length) {
    w(`\n## Problems (${problems.length})\n\n`);
    for (const p of problems.slice(0, 30)) w(`- ${p.section} / ${p.init} / run ${p.run}: ${p.what} ${JSON.stringify(p.detail).slice(0, 300)}\n`);
  }
  if (warnings.length) {
    w('\n## Warnings\n\n');
    for (const x of warnings) w(`- ${x}\n`);
  }
}
