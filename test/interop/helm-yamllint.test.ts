/**
 * yamllint (Debian package `yamllint`) on the chart's Chart.yaml and values.yaml, on the
 * output of `helm template` with the optional objects off and on, and on the ringmaster.yaml
 * each ConfigMap carries. Helm's templates themselves are not YAML; what they render must
 * be, with no duplicate key (which helm lint lets through). Run with `npm run test:interop`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { CHART, byKind, cleanup, parseObjects, renderText } from '../helm/helm.js';

after(cleanup);

// The default rules, less the two that helm's own output style breaks: sequences are indented
// by toYaml one way and by the templates the other, and no file starts with `---`.
const CONFIG = JSON.stringify({
  extends: 'default',
  rules: {
    'document-start': 'disable',
    'line-length': { max: 160 },
    indentation: { spaces: 2, 'indent-sequences': 'whatever' },
    comments: { 'min-spaces-from-content': 1 },
  },
});

function yamllint(args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const p = execFile('yamllint', ['-f', 'parsable', '-s', '-d', CONFIG, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('yamllint not found: install the Debian package "yamllint" (apt-get install --no-install-recommends yamllint)'));
        return;
      }
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr });
    });
    p.stdin?.end(input ?? '');
  });
}

test('yamllint: Chart.yaml and values.yaml', async () => {
  const r = await yamllint([join(CHART, 'Chart.yaml'), join(CHART, 'values.yaml')]);
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out, '');
});

test('yamllint: helm template output and each rendered ringmaster.yaml, optional objects off and on', async () => {
  const sets = [
    {},
    {
      apiVersions: ['monitoring.coreos.com/v1', 'keda.sh/v1alpha1'],
      values: { rollOnConfigChange: true, podAnnotations: { team: 'web' }, autoscaling: { enabled: true, sockets: ['web'], targetCPUUtilizationPercentage: 80 }, metrics: { monitor: { labels: { release: 'prometheus' } } } },
    },
    {
      apiVersions: ['monitoring.coreos.com/v1'],
      values: {
        metrics: { monitor: { kind: 'PodMonitor' } },
        autoscaling: { enabled: true },
        config: { ringmaster: { http_port: 9400 }, sockets: { web: { host: '0.0.0.0', port: 80 }, dns: { host: '::', port: 5353, type: 'SOCK_DGRAM' } } },
        extraVolumes: [{ name: 'cache', emptyDir: {} }],
        extraVolumeMounts: [{ name: 'cache', mountPath: '/cache' }],
      },
    },
  ];
  for (const set of sets) {
    const text = await renderText(set);
    const r = await yamllint(['-'], text);
    assert.equal(r.code, 0, `${JSON.stringify(set)}:\n${r.out}`);
    assert.equal(r.out, '', JSON.stringify(set));
    for (const cm of byKind(parseObjects(text), 'ConfigMap')) {
      const c = await yamllint(['-'], cm.data?.['ringmaster.yaml'] ?? '');
      assert.equal(c.code, 0, `ringmaster.yaml of ${JSON.stringify(set)}:\n${c.out}`);
    }
  }
});
