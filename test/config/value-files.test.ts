import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, loadConfigAsync } from '../../src/config/index.js';
import { formatPlan } from '../../src/cli/check.js';
import { issuesOf, messagesOf, withTempDir } from './helpers.js';
import { tempDir } from '../helpers/config.js';

const SECRET = 's3cr3t-hunter2';

/** A config file in a temp dir with the given side files; returns its path. */
function files(dir: string, entries: Record<string, string>): string {
  for (const [name, text] of Object.entries(entries)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const load = (path: string, env: NodeJS.ProcessEnv = {}) => loadConfig({ path, env, cwd: '/' });

describe('env_file', () => {
  it('YAML: global then the watcher\'s files (list order), below [env], [env:PATTERN] and the watcher\'s env; paths resolved from the config file\'s directory', () =>
    withTempDir((dir) => {
      files(dir, {
        'conf/ringmaster.yaml': [
          'ringmaster: {env_file: global.env}',
          'env: {FROM_ENV: env, LAYER: env}',
          'watchers:',
          '  web:',
          '    cmd: node app.js',
          '    env_file: [a.env, sub/b.env]',
          '    env: {OWN: own, LAYER2: own}',
        ].join('\n'),
        'conf/global.env': 'G=1\nLAYER=global\nA_OR_G=global\n',
        'conf/a.env': '# a comment\nexport A=1\nA_OR_G=a\nLAYER2=a\nQUOTED="two words"\nMULTI="l1\nl2"\n',
        'conf/sub/b.env': 'A_OR_G=b\nEMPTY=\n',
      });
      const c = load(join(dir, 'conf/ringmaster.yaml'));
      assert.ok(c);
      const w = c.watchers[0];
      assert.deepEqual(w?.env_file, [join(dir, 'conf/global.env'), join(dir, 'conf/a.env'), join(dir, 'conf/sub/b.env')]);
      assert.deepEqual(c.ringmaster.env_file, [join(dir, 'conf/global.env')]);
      assert.deepEqual(
        { ...w?.env },
        { G: '1', LAYER: 'env', A_OR_G: 'b', A: '1', LAYER2: 'own', QUOTED: 'two words', MULTI: 'l1\nl2', EMPTY: '', FROM_ENV: 'env', OWN: 'own' },
      );
    }));

  it('INI: env_file = a, b (commas) in [ringmaster] and [watcher:NAME]; [env:PATTERN] wins over the files', () =>
    withTempDir((dir) => {
      files(dir, {
        'circus.ini': '[ringmaster]\nenv_file = g.env\n\n[watcher:web]\ncmd = node app.js\nenv_file = a.env, b.env\n\n[env:web]\nX = pattern\n',
        'g.env': 'X=g\nY=g\n',
        'a.env': 'Y=a\nZ=a\n',
        'b.env': 'Z=b\n',
      });
      const w = load(join(dir, 'circus.ini'))?.watchers[0];
      assert.deepEqual({ ...w?.env }, { X: 'pattern', Y: 'a', Z: 'b' });
      assert.equal(w?.env_file.length, 3);
    }));

  it('a missing file, a directory, /dev/zero, a 10 MB file, a NUL byte, a bad name: a config error naming the key and the file', () =>
    withTempDir((dir) => {
      files(dir, { 'big.env': `A=${'x'.repeat(10 * 1024 * 1024)}\n`, 'nul.env': 'A=a\0b\n', 'bad.env': 'GOOD=1\nB\n=C\n' });
      mkdirSync(join(dir, 'adir'));
      const cases: Array<[string, RegExp]> = [
        ['nope.env', /watchers\.web\.env_file: cannot read nope\.env \(.*\/nope\.env\): no such file/],
        ['adir', /it is a directory/],
        ['/dev/zero', /not a regular file/],
        ['big.env', /10485763 bytes, over the limit of 262144/],
        ['nul.env', /NUL byte/],
        ['bad.env', /bad\.env line 2 has no "=": write one NAME=value per line/],
      ];
      for (const [file, re] of cases) {
        writeFileSync(join(dir, 'r.yaml'), `watchers:\n  web:\n    cmd: node app.js\n    env_file: ${JSON.stringify(file)}\n`);
        const issues = issuesOf(() => load(join(dir, 'r.yaml')));
        assert.equal(issues.length, 1, file);
        assert.match(issues[0]?.message ?? '', re, file);
        assert.equal(issues[0]?.path, 'watchers.web.env_file');
        assert.equal(issues[0]?.code, 'RM_CONFIG_FILE');
        assert.equal(issues[0]?.pos?.line, 4);
      }
    }));

  it('an env_file named twice, or naming the config file, is read as text: no loop (and the YAML is no dotenv: its line 1 has no "=")', () =>
    withTempDir((dir) => {
      files(dir, { 'self.env': 'A=1\n', 'r.yaml': 'watchers:\n  web:\n    cmd: node app.js\n    env_file: [self.env, self.env]\n' });
      assert.deepEqual({ ...load(join(dir, 'r.yaml'))?.watchers[0]?.env }, { A: '1' });
      files(dir, { 'r.yaml': 'watchers:\n  web:\n    cmd: node app.js\n    env_file: [self.env, r.yaml]\n' });
      assert.throws(() => load(join(dir, 'r.yaml')), /r\.yaml line 1 has no "="/);
    }));
});

describe('${file:PATH}', () => {
  it('YAML: in env, cmd and args, without the trailing newline, relative to the config file, ../ allowed', () =>
    withTempDir((dir) => {
      files(dir, {
        'secrets/db': `${SECRET}\n`,
        'secrets/crlf': 'win\r\n',
        'secrets/two': 'keep\n\n',
        'conf/r.yaml': [
          'watchers:',
          '  web:',
          '    cmd: "node ${file:../secrets/crlf}.js"',
          '    args: ["--token", "${file:../secrets/db}"]',
          `    env: {DB_PASSWORD: "\${file:${dir}/secrets/db}", TWO: "\${file:../secrets/two}", LIT: "$\${file:x}", VAR: "\${file:-dflt}"}`,
        ].join('\n'),
      });
      const c = load(join(dir, 'conf/r.yaml'));
      const w = c?.watchers[0];
      assert.deepEqual(w?.argv, ['node', 'win.js', '--token', SECRET]);
      assert.equal(w?.env['DB_PASSWORD'], SECRET);
      assert.equal(w?.env['TWO'], 'keep\n', 'only one trailing newline goes');
      assert.equal(w?.env['LIT'], '${file:x}');
      assert.equal(w?.env['VAR'], 'dflt', '${file:-x} is a variable named file with a default');
      assert.ok(c?.secrets?.includes(SECRET));
      // check's plan does not print it
      const plan = formatPlan(c as NonNullable<typeof c>, []);
      assert.ok(!plan.includes(SECRET), plan);
      assert.match(plan, /--token "?<secret>"?/);
    }));

  it('INI: in [env], [watcher:NAME] options; a secret with $NAME and ${X} in it is taken as is', () =>
    withTempDir((dir) => {
      files(dir, { 'pw': 'pa$HOME${USER}x\n', 'circus.ini': '[watcher:web]\ncmd = node app.js ${file:pw}\n\n[env]\nPW = ${file:pw}\nHOME2 = $HOME\n' });
      const w = load(join(dir, 'circus.ini'), { HOME: '/root', USER: 'u' })?.watchers[0];
      assert.equal(w?.env['PW'], 'pa$HOME${USER}x');
      assert.equal(w?.env['HOME2'], '/root');
      assert.deepEqual(w?.argv, ['node', 'app.js', 'pa$HOME${USER}x']);
    }));

  it('hostile paths: /proc/self/mem, /dev/zero, a directory, a 10 MB file, a NUL byte, a missing file: errors naming the key and the file', () =>
    withTempDir((dir) => {
      files(dir, { big: 'x'.repeat(10 * 1024 * 1024), nul: 'a\0b' });
      const refs = ['/proc/self/mem', '/dev/zero', '.', 'big', 'nul', 'missing', ''];
      writeFileSync(join(dir, 'r.yaml'), `watchers:\n  web:\n    cmd: node app.js\n    env:\n${refs.map((r, i) => `      V${i}: "\${file:${r}}"`).join('\n')}\n`);
      const m = messagesOf(() => load(join(dir, 'r.yaml')));
      const want = [/V0: \$\{file:\/proc\/self\/mem\}: cannot read \/proc\/self\/mem: it cannot be read \(EIO\)/, /V1: .*\/dev\/zero: it is not a regular file/, /V2: .*it is a directory/, /V3: .*10485760 bytes, over the limit of 65536/, /V4: .*NUL byte/, /V5: .*missing .*no such file/, /V6: \$\{file:\}: names no file/];
      for (const re of want) assert.ok(m.some((x) => re.test(x)), `${re}\n${m.join('\n')}`);
      assert.ok(m.every((x) => x.startsWith('env.') || x.startsWith('watchers.web.env.')), m.join('\n'));
    }));

  it('a file that names itself or the config file is read as text: no loop, no expansion', () =>
    withTempDir((dir) => {
      files(dir, { self: '${file:self}\n', 'r.yaml': 'watchers:\n  web:\n    cmd: node app.js\n    env: {A: "${file:self}", B: "${file:r.yaml}"}\n' });
      const w = load(join(dir, 'r.yaml'))?.watchers[0];
      assert.equal(w?.env['A'], '${file:self}');
      assert.match(w?.env['B'] ?? '', /^watchers:/);
    }));

  it('a bad value read with ${file:} is refused without being shown (message, value, check --json)', () =>
    withTempDir((dir) => {
      files(dir, { n: `${SECRET}\n`, 'r.yaml': 'watchers:\n  web:\n    cmd: node app.js\n    numprocesses: ${file:n}\n    stop_signal: "SIG${file:n}"\n' });
      const issues = issuesOf(() => load(join(dir, 'r.yaml')));
      assert.ok(issues.length >= 2);
      for (const i of issues) {
        assert.ok(!i.message.includes(SECRET), i.message);
        assert.ok(!JSON.stringify(i.value).includes(SECRET), JSON.stringify(i.value));
      }
      assert.match(issues.find((i) => i.path === 'watchers.web.numprocesses')?.message ?? '', /got \(a value read with \$\{file:\}, not shown\)/);
    }));

  it('read again at every load: a reload sees the new content, and a file gone is an error (the caller keeps the old config)', async () => {
    const t = tempDir('ringmaster-config-');
    try {
      const dir = t.dir;
      files(dir, { s: 'one\n', 'r.yaml': 'watchers:\n  web:\n    cmd: node app.js\n    env: {S: "${file:s}"}\n' });
      const path = join(dir, 'r.yaml');
      assert.equal((await loadConfigAsync({ path, env: {}, cwd: '/' }))?.watchers[0]?.env['S'], 'one');
      writeFileSync(join(dir, 's'), 'two\n');
      assert.equal((await loadConfigAsync({ path, env: {}, cwd: '/' }))?.watchers[0]?.env['S'], 'two');
      symlinkSync('/nonexistent', join(dir, 's2'));
      writeFileSync(path, 'watchers:\n  web:\n    cmd: node app.js\n    env: {S: "${file:s2}"}\n');
      await assert.rejects(loadConfigAsync({ path, env: {}, cwd: '/' }), /S: \$\{file:s2\}: cannot read s2 .*no such file/);
    } finally {
      t.cleanup();
    }
  });
});
