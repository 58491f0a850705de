import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startHttpEndpoint } from '../../src/http/server.js';
import { negotiateExposition } from '../../src/http/accept.js';
import { createLogger } from '../../src/log/logger.js';
import { snapshot, watcher, worker } from '../helpers/snapshot.js';

const PROMETHEUS_3 = 'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
const PROMETHEUS_2 = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

test('Accept negotiation: OpenMetrics when named with a q at least the text format\'s, else text', () => {
  const cases: Array<[string | string[] | undefined, 'text' | 'openmetrics']> = [
    [undefined, 'text'],
    ['', 'text'],
    ['*/*', 'text'],
    ['text/plain', 'text'],
    ['text/plain;version=0.0.4', 'text'],
    [PROMETHEUS_2, 'openmetrics'],
    [PROMETHEUS_3, 'openmetrics'],
    ['application/openmetrics-text', 'openmetrics'],
    ['Application/OpenMetrics-Text; Version=1.0.0', 'openmetrics'],
    ['application/openmetrics-text;q=0.2, text/plain;q=0.9', 'text'],
    ['application/openmetrics-text;q=0', 'text'],
    ['application/openmetrics-text;q=banana', 'text'],
    ['application/openmetrics-text;q=1.5', 'text'],
    ['application/json', 'text'],
    [['text/plain;q=0.1', 'application/openmetrics-text'], 'openmetrics'],
    [',,;;,=;q=,', 'text'],
    ['application/openmetrics-text;q=0.5,'.repeat(2000), 'openmetrics'],
  ];
  for (const [accept, want] of cases) assert.equal(negotiateExposition(accept), want, JSON.stringify(accept)?.slice(0, 80));
});

function get(url: string, accept?: string): Promise<{ type: string; vary: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: accept === undefined ? {} : { accept } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ type: String(res.headers['content-type']), vary: String(res.headers.vary), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('/metrics answers OpenMetrics to Prometheus and the text format to others, from the same collectors', async () => {
  const exits = { exited: 1, failed: 2, signaled: 0, oom: 0, spawn_failed: 0, stopped: 3 };
  const snap = snapshot({ watchers: [watcher('web', { restarts: 4, exits, workers: [worker(1, process.pid)] })] });
  const ep = await startHttpEndpoint({ host: '127.0.0.1', port: 0, snapshot: () => snap, log: createLogger({ verbosity: 0, write: () => {} }) });
  try {
    const before = await get(`${ep.url}/metrics`);
    const om = await get(`${ep.url}/metrics`, PROMETHEUS_3);
    const after = await get(`${ep.url}/metrics`, '*/*');
    for (const r of [before, om, after]) assert.equal(r.vary, 'Accept');

    assert.equal(om.type, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    assert.ok(om.body.endsWith('\n# EOF\n'), om.body.slice(-40));
    assert.equal(om.body.match(/^# EOF$/gm)?.length, 1);
    assert.ok(!om.body.includes('\n\n'), 'no blank line in OpenMetrics');
    // a counter: the family without _total, its samples with it
    assert.match(om.body, /^# TYPE ringmaster_process_restarts counter$/m);
    assert.match(om.body, /^# HELP ringmaster_process_restarts /m);
    assert.match(om.body, /^ringmaster_process_restarts_total\{watcher="web",reason="exit"\} 4$/m);
    assert.match(om.body, /^ringmaster_process_exits_total\{watcher="web",reason="stopped"\} 3$/m);
    assert.doesNotMatch(om.body, /^# TYPE \S+_total /m);
    // every sample belongs to the family declared before it, and each family is declared once
    const families: string[] = [];
    let current: { name: string; type: string } | undefined;
    for (const line of om.body.split('\n')) {
      if (line === '' || line === '# EOF') continue;
      const t = /^# TYPE (\S+) (counter|gauge)$/.exec(line);
      if (t) {
        assert.ok(!families.includes(t[1] as string), `${t[1]} declared twice`);
        families.push(t[1] as string);
        current = { name: t[1] as string, type: t[2] as string };
        continue;
      }
      if (line.startsWith('# HELP ')) continue;
      const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)?.[1];
      assert.ok(current && name, line);
      assert.equal(name, current.type === 'counter' ? `${current.name}_total` : current.name, line);
    }
    assert.ok(families.length > 10);

    // the text format is unchanged, before and after an OpenMetrics scrape
    for (const text of [before, after]) {
      assert.equal(text.type, 'text/plain; version=0.0.4; charset=utf-8');
      assert.match(text.body, /^# TYPE ringmaster_process_restarts_total counter$/m);
      assert.match(text.body, /^ringmaster_process_restarts_total\{watcher="web",reason="exit"\} 4$/m);
      assert.doesNotMatch(text.body, /# EOF/);
    }
  } finally {
    await ep.close();
  }
});
