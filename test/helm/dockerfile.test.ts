/**
 * The Dockerfile, read (test/container/run.sh builds and runs it): a build stage on Node 24
 * slim, an opt stage that makes the self-contained /opt/ringmaster (production
 * dependencies, its own node), a runtime stage on Debian slim that has only that, a
 * numeric non-root USER, exec-form ENTRYPOINT ["ringmaster"], STOPSIGNAL SIGTERM, a
 * HEALTHCHECK that runs `ringmaster probe`, and a .dockerignore that lets in every file
 * the build needs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './helm.js';

interface Instruction {
  cmd: string;
  args: string;
  line: number;
}
interface Stage {
  image: string;
  name: string | undefined;
  body: Instruction[];
}

/** Dockerfile syntax as far as this file uses it: comments, `\` continuations, ARG defaults before FROM. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    if (/^\s*#/.test(raw)) return; // comments (and parser directives) end nothing, even inside a continuation
    if (!pending && raw.trim() === '') return;
    const cont = /\\\s*$/.test(raw);
    const piece = raw.replace(/\\\s*$/, '');
    pending = pending ? { text: `${pending.text} ${piece.trim()}`, line: pending.line } : { text: piece.trim(), line: i + 1 };
    if (!cont) {
      const m = /^(\S+)\s*(.*)$/.exec(pending.text) as RegExpExecArray;
      instructions.push({ cmd: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: pending.line });
      pending = undefined;
    }
  });
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const subst = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => args[a ?? b] ?? '');
  for (const ins of instructions) {
    if (ins.cmd === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      assert.ok(m, `line ${ins.line}: FROM ${ins.args}`);
      stages.push({ image: subst(m[1] as string), name: m[2], body: [] });
    } else if (stages.length === 0) {
      assert.equal(ins.cmd, 'ARG', `line ${ins.line}: only ARG may come before the first FROM`);
      const [k, v] = ins.args.split('=');
      args[k as string] = v ?? '';
    } else {
      (stages.at(-1) as Stage).body.push(ins);
    }
  }
  return { args, stages };
}

function jsonArray(ins: Instruction | undefined, what: string): string[] {
  assert.ok(ins, `${what} is missing`);
  let v: unknown;
  try {
    v = JSON.parse(ins.args);
  } catch {
    assert.fail(`line ${ins.line}: ${what} must be in exec form (a JSON array), got: ${ins.args}`);
  }
  assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string'), `line ${ins.line}: ${what} must be a JSON array of strings`);
  return v as string[];
}

/** A minimal .dockerignore matcher: patterns in order, the last match wins; `*` within a segment, `**` across. */
function dockerIgnored(patterns: string[], path: string): boolean {
  const toRe = (p: string) =>
    new RegExp(
      `^${p
        .replace(/^\/+|\/+$/g, '')
        .split('/')
        .map((seg) => (seg === '**' ? '.*' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?')}$`,
    );
  const parts = path.replace(/\/+$/, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const neg = raw.startsWith('!');
    const re = toRe(neg ? raw.slice(1) : raw);
    if (prefixes.some((p) => re.test(p))) ignored = !neg;
  }
  return ignored;
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const { stages } = parseDockerfile(dockerfile);
const build = stages[0] as Stage;
const runtime = stages.at(-1) as Stage;
const all = (s: Stage, cmd: string) => s.body.filter((i) => i.cmd === cmd);
const last = (s: Stage, cmd: string) => all(s, cmd).at(-1);
/** The stage that makes /opt/ringmaster: the one that copies the packed files from the build stage. */
const opt = stages.find((s) => all(s, 'COPY').some((c) => c.args.includes(`--from=${build.name}`))) as Stage;
const copyFromBuild = opt && all(opt, 'COPY').find((c) => c.args.includes(`--from=${build.name}`));
/** Where the package goes: the WORKDIR in effect at the opt stage's COPY --from=build. */
const pkgDir = opt?.body.filter((i) => i.cmd === 'WORKDIR' && i.line < (copyFromBuild?.line ?? 0)).at(-1)?.args;

describe('Dockerfile', () => {
  test('multi-stage: build and opt on Node 24 slim, runtime on Debian slim (no Node image)', () => {
    assert.ok(stages.length >= 3, 'a build, an opt and a runtime stage');
    assert.ok(build.name, 'the build stage is named');
    assert.ok(opt && opt !== build && opt !== runtime, 'a stage between build and runtime copies the packed files');
    for (const s of [build, opt]) assert.match(s.image, /^node:24(\.\d+)*-(\w+-)?slim(@sha256:[0-9a-f]{64})?$/, `FROM ${s.image}`);
    assert.match(runtime.image, /^debian:bookworm(-\d+)?-slim(@sha256:[0-9a-f]{64})?$/, `FROM ${runtime.image}`);
    const buildRuns = all(build, 'RUN').map((i) => i.args).join('\n');
    assert.match(buildRuns, /npm ci\b/);
    assert.match(buildRuns, /npm run build\b/);
    assert.match(buildRuns, /npm pack\b/);
  });

  test('/opt/ringmaster: the packed package, `npm ci --omit=dev`, its own node named by the launcher; the runtime copies only that', () => {
    assert.equal(pkgDir, '/opt/ringmaster');
    const runs = all(opt, 'RUN').map((i) => i.args).join('\n');
    assert.match(runs, /npm ci (--\S+ )*--omit=dev\b/);
    assert.match(runs, /cp "\$\(command -v node\)" node\/bin\/node/, 'the node binary goes into /opt/ringmaster/node/bin');
    // bin/ringmaster's shell part execs `node`: the opt stage makes that line name the bundled one
    const execLine = '":" //; exec node $f "$0" "$@"';
    assert.ok(readFileSync(join(ROOT, 'bin', 'ringmaster'), 'utf8').split('\n').includes(execLine), 'bin/ringmaster has the line the sed rewrites');
    assert.ok(runs.includes(`sed -i 's|^":" //; exec node \\$f "\\$0" "\\$@"$|":" //; exec /opt/ringmaster/node/bin/node $f "$0" "$@"|' bin/ringmaster`), 'the sed names the bundled node');
    assert.match(runs, /grep -q '\^":" \/\/; exec \/opt\/ringmaster\/node\/bin\/node/, 'the build fails when the sed matched nothing');
    assert.match(runs, /env -i \/opt\/ringmaster\/bin\/ringmaster --version/, 'the build proves it runs without PATH');

    const copies = all(runtime, 'COPY');
    for (const c of copies) {
      assert.doesNotMatch(c.args, /node_modules|\bsrc\b/, `line ${c.line}: ${c.args}`);
      assert.match(c.args, new RegExp(`^--from=${opt.name} ${pkgDir}/? ${pkgDir}/?$`), `line ${c.line}: the runtime copies /opt/ringmaster only`);
    }
    assert.equal(copies.length, 1);
    const rruns = all(runtime, 'RUN').map((i) => i.args).join('\n');
    assert.doesNotMatch(rruns, /\bnpm\b/, 'no npm in the runtime stage');
    assert.match(rruns, /mkdir -p [^\n]*\/etc\/ringmaster\b/);
    const m = /ln -s (\S+)\/bin\/ringmaster \/usr\/local\/bin\/ringmaster/.exec(rruns);
    assert.ok(m, 'ln -s .../bin/ringmaster /usr/local/bin/ringmaster');
    assert.equal(m[1], pkgDir, 'the symlink points into /opt/ringmaster');
    assert.match(rruns, /ln -s \/opt\/ringmaster\/node\/bin\/node \/usr\/local\/bin\/node/);
  });

  test('the default config is examples/container/ringmaster.yaml: the hello example on 0.0.0.0:8080, metrics on 0.0.0.0:9090', () => {
    const rruns = all(runtime, 'RUN').map((i) => i.args).join('\n');
    assert.match(rruns, /cp \/opt\/ringmaster\/examples\/container\/ringmaster\.yaml \/etc\/ringmaster\/ringmaster\.yaml/);
    const cfg = parseYaml(readFileSync(join(ROOT, 'examples', 'container', 'ringmaster.yaml'), 'utf8')) as {
      ringmaster: { http_host: string; http_port: number };
      sockets: { web: { host: string; port: number } };
      watchers: { web: { cmd: string } };
    };
    assert.deepEqual([cfg.ringmaster.http_host, cfg.ringmaster.http_port], ['0.0.0.0', 9090]);
    assert.deepEqual([cfg.sockets.web.host, cfg.sockets.web.port], ['0.0.0.0', 8080]);
    for (const word of cfg.watchers.web.cmd.split(/\s+/).filter((x) => x.startsWith('/opt/ringmaster/'))) {
      assert.ok(existsSync(join(ROOT, word.slice('/opt/ringmaster/'.length))), `${word} is in the package`);
    }
  });

  test('numeric non-root USER, exec-form ENTRYPOINT ["ringmaster"], STOPSIGNAL SIGTERM', () => {
    const user = last(runtime, 'USER');
    assert.ok(user, 'the runtime stage sets USER');
    const um = /^(\d+)(?::(\d+))?$/.exec(user.args);
    assert.ok(um, `USER ${user.args} must be numeric (runAsNonRoot cannot check a name)`);
    assert.notEqual(Number(um[1]), 0, 'USER is not root');
    assert.equal(Number(um[1]), 10001, 'the uid the Helm chart runs as');
    const runs = all(runtime, 'RUN').map((i) => i.args).join('\n');
    assert.match(runs, new RegExp(`useradd [^\\n]*--uid ${um[1]}\\b`), 'the uid has a passwd entry');
    assert.ok(runtime.body.indexOf(user) > runtime.body.indexOf(all(runtime, 'RUN').at(-1) as Instruction), 'USER comes after the last RUN');

    assert.deepEqual(jsonArray(last(runtime, 'ENTRYPOINT'), 'ENTRYPOINT'), ['ringmaster']);
    for (const c of all(runtime, 'CMD')) jsonArray(c, 'CMD');
    assert.equal(last(runtime, 'STOPSIGNAL')?.args, 'SIGTERM');
  });

  test('HEALTHCHECK runs `ringmaster probe` in exec form (slim images have no curl)', () => {
    const hcs = all(runtime, 'HEALTHCHECK');
    assert.equal(hcs.length, 1, 'one HEALTHCHECK (only the last counts)');
    const m = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(.*)$/.exec((hcs[0] as Instruction).args);
    assert.ok(m, `HEALTHCHECK [OPTIONS] CMD [...], got ${(hcs[0] as Instruction).args}`);
    for (const opt of (m[1] as string).trim().split(/\s+/).filter(Boolean)) {
      assert.match(opt, /^--(interval|timeout|start-period|start-interval|retries)=(\d+(ms|s|m|h)|\d+)$/, opt);
    }
    const cmd = jsonArray({ ...(hcs[0] as Instruction), args: m[2] as string }, 'HEALTHCHECK CMD');
    assert.deepEqual(cmd.slice(0, 2), ['ringmaster', 'probe']);
  });

  test('.dockerignore lets in every file the build copies and needs, and keeps node_modules, dist and .git out', () => {
    const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', 'dist', '.git', 'test', 'examples/python/node_modules/x']) assert.ok(dockerIgnored(patterns, p), `${p} is ignored`);
    const copied: string[] = [];
    for (const c of all(build, 'COPY')) {
      const words = c.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      for (const src of words.slice(0, -1)) {
        assert.ok(existsSync(join(ROOT, src)), `line ${c.line}: COPY ${src}: no such file in the repository`);
        assert.ok(!dockerIgnored(patterns, src), `line ${c.line}: COPY ${src} is excluded by .dockerignore`);
        copied.push(src.replace(/\/+$/, ''));
      }
    }
    // what `npm run build` and `npm pack` read: package.json "files", the build script's files, tsconfig, src
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[]; scripts: Record<string, string> };
    const needed = new Set(['package.json', 'package-lock.json', 'tsconfig.json', 'src']);
    for (const f of pkg.files) if (!f.startsWith('dist/')) needed.add(f.replace(/\/+$/, ''));
    for (const m of (pkg.scripts.build ?? '').matchAll(/node (\S+)/g)) needed.add(m[1] as string);
    for (const n of needed) assert.ok(copied.some((c) => n === c || n.startsWith(`${c}/`)), `the build stage does not copy ${n}`);
  });

  test('the packed package has what the image and the chart run: bin/ringmaster, dist/src, the example handler', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const files = new Set((JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path));
    assert.ok(files.has('bin/ringmaster'));
    assert.ok(files.has('dist/src/cli/main.js'), 'dist/src is packed (npm run build first)');
    assert.ok(files.has('package.json'));
    // the chart's default watcher runs a file of the image: /opt/ringmaster/<packed path>
    const values = parseYaml(readFileSync(join(ROOT, 'helm', 'ringmaster', 'values.yaml'), 'utf8')) as { config: { watchers: Record<string, { cmd: string }> } };
    assert.ok(pkgDir, 'a WORKDIR before the opt stage\'s COPY --from=build');
    for (const w of Object.values(values.config.watchers)) {
      for (const word of w.cmd.split(/\s+/).filter((x) => x.startsWith(`${pkgDir}/`))) {
        assert.ok(files.has(word.slice(pkgDir.length + 1)), `${word} (the chart's default watcher) is in the image`);
      }
    }
  });
});
