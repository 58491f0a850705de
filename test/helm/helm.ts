/**
 * Helpers for the chart tests: helm (the offline binary from scripts/helm.mjs) with its
 * homes in a temp dir, `helm template` parsed into objects, and each object validated with
 * kubernetes-models (or @kubernetes-models/prometheus-operator) where a model exists.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
/** The repository (this file runs as dist/test/helm/helm.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CHART = join(ROOT, 'helm', 'ringmaster');
export const RELEASE = 'rel';
export const NAMESPACE = 'apps';
export const FULLNAME = 'rel-ringmaster';

/** A Kubernetes object as rendered, loosely typed: tests dig into it with `at`. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string>; [k: string]: any };

/** scripts/helm.mjs is plain JavaScript: imported by URL, so tsc does not look for its types. */
export async function helmScript(): Promise<{ helmPath(): string; expectedValuesSchema(): Promise<unknown>; VALUES_SCHEMA: string }> {
  return import(pathToFileURL(join(ROOT, 'scripts', 'helm.mjs')).href);
}

let work: string | undefined;
/** One temp dir for this test file: helm's cache/config/data homes and values files. `cleanup()` removes it. */
export function workDir(): string {
  work ??= mkdtempSync(join(tmpdir(), 'ringmaster-helm-'));
  return work;
}
export function cleanup(): void {
  if (work) rmSync(work, { recursive: true, force: true });
  work = undefined;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function helm(args: string[], timeoutMs = 60_000): Promise<HelmResult> {
  const bin = (await helmScript()).helmPath();
  const home = workDir();
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: join(home, 'no-kubeconfig'),
  };
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env, timeout: timeoutMs, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new Error(`helm ${args.join(' ')}: ${err.message}\n${stderr}`));
        return;
      }
      resolve({ code: err ? (err.code as unknown as number) : 0, stdout, stderr });
    });
  });
}

let valuesCount = 0;
function valuesFile(values: object): string {
  const f = join(workDir(), `values-${++valuesCount}.json`); // JSON is YAML
  writeFileSync(f, JSON.stringify(values));
  return f;
}

export interface RenderOptions {
  values?: object;
  apiVersions?: string[];
  showOnly?: string;
  extra?: string[];
}

export function templateArgs(o: RenderOptions = {}): string[] {
  const args = ['template', RELEASE, CHART, '--namespace', NAMESPACE];
  if (o.values) args.push('--values', valuesFile(o.values));
  for (const a of o.apiVersions ?? []) args.push('--api-versions', a);
  if (o.showOnly) args.push('--show-only', o.showOnly);
  return [...args, ...(o.extra ?? [])];
}

/** `helm template` with these values; throws with helm's message when it fails. */
export async function renderText(o: RenderOptions = {}): Promise<string> {
  const r = await helm(templateArgs(o));
  if (r.code !== 0) throw new Error(`helm template failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

export function parseObjects(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
    const v = doc.toJS({ maxAliasCount: 0 }) as K8sObject | null;
    if (v !== null) out.push(v);
  }
  return out;
}

export async function render(o: RenderOptions = {}): Promise<K8sObject[]> {
  return parseObjects(await renderText(o));
}

/** helm's error text for values that must fail. */
export async function renderError(o: RenderOptions): Promise<string> {
  const r = await helm(templateArgs(o));
  if (r.code === 0) throw new Error('helm template succeeded; expected an error');
  return r.stderr;
}

export function byKind(objs: K8sObject[], kind: string): K8sObject[] {
  return objs.filter((o) => o.kind === kind);
}

export function one(objs: K8sObject[], kind: string): K8sObject {
  const found = byKind(objs, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, got ${found.length}: ${objs.map((o) => o.kind).join(', ')}`);
  return found[0] as K8sObject;
}

// apiVersion/Kind -> module and export of its model. Objects of other kinds (KEDA's
// ScaledObject) have none: the tests check their shape by hand.
const MODELS: Record<string, string> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator/monitoring.coreos.com',
};

type Model = new (data: unknown) => { validate(): void };
const modelCache = new Map<string, Model | null>();

async function modelFor(apiVersion: string, kind: string): Promise<Model | null> {
  const key = `${apiVersion}/${kind}`;
  if (modelCache.has(key)) return modelCache.get(key) ?? null;
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  const base = MODELS[group] ?? (group === '' ? 'kubernetes-models' : `kubernetes-models/${group}`);
  let model: Model | null = null;
  try {
    const mod = (await import(`${base}/${version}/${kind}`)) as Record<string, unknown>;
    model = (mod[kind] ?? (mod.default as Record<string, unknown> | undefined)?.[kind] ?? null) as Model | null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' && (err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  modelCache.set(key, model);
  return model;
}

/**
 * Validates every object against its model's JSON Schema; returns the kinds that have no
 * model (validated by hand elsewhere). Throws with every problem found.
 */
export async function validateAll(objs: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  const unknown: string[] = [];
  for (const o of objs) {
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      problems.push(`an object without apiVersion, kind or metadata.name: ${JSON.stringify(o).slice(0, 200)}`);
      continue;
    }
    const Model = await modelFor(o.apiVersion, o.kind);
    if (!Model) {
      unknown.push(`${o.apiVersion}/${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (err) {
      problems.push(`${o.kind} ${o.metadata.name}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new Error(`invalid objects:\n  ${problems.join('\n  ')}`);
  return unknown;
}
