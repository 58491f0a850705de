/**
 * The default control socket of a real init, as PID 1 of a namespace whose /run and temp
 * dir are fresh tmpfs mounts (nothing shared with the host or other tests): where it goes,
 * whose it is, what a squatter (nobody, the user other than the init's) changes, and that
 * `ringmaster ctl` with no flags finds it, as root and as the user the init dropped to.
 *
 * The temp dir is TMPDIR=/run/tmp (mode 1777, like /tmp), not a mount over /tmp, which
 * would hide a checkout that lives under /tmp.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, runCollect, startProcess, type Started } from '../helpers/run.js';

const NODE = process.execPath;
const CONFIG = (user: string | undefined): string =>
  `ringmaster:\n${user === undefined ? '' : `  user: "${user}"\n`}  loglevel: debug\nwatchers:\n  w:\n    cmd: sleep 3600\n`;

const TMP = '/run/tmp';

const as = (uid: number): string => `setpriv --reuid=${uid} --regid=${uid} --clear-groups`;

/**
 * Start `script` (sh) as PID 1 of a new PID and mount namespace, after mounting tmpfs on
 * /run and the temp dir, /run then read-only if asked. The script ends by exec'ing the init.
 */
function inNamespace(opts: { runReadOnly: boolean; before: string; init: string; config: string; env?: NodeJS.ProcessEnv }): Started {
  const script = [
    'mount -t tmpfs -o mode=755 tmpfs /run',
    `mkdir ${TMP}`,
    `mount -t tmpfs -o mode=1777 tmpfs ${TMP}`,
    // A read-only root file system: only the temp dir stays writable.
    opts.runReadOnly ? 'mount -o remount,ro /run' : '',
    opts.before,
    `exec ${opts.init} ${NODE} ${BIN}`,
  ].join('\n');
  return startProcess(['sh', '-c', script], { env: { ...process.env, ...opts.env, TMPDIR: TMP, RINGMASTER_CONTROL_SOCKET: '', RINGMASTER_CONFIG: opts.config } });
}

/** Run `sh -c cmd` in the namespace of the init with host pid `ns`. */
function inside(ns: number, cmd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return runCollect(['nsenter', '-t', String(ns), '-m', '-p', '--', 'sh', '-c', cmd], { env });
}

function envWith(config: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.RINGMASTER_CONTROL_SOCKET;
  delete env.RINGMASTER_CONFIG;
  delete env.RINGMASTER_CONFIG_FILE;
  if (config !== undefined) env.RINGMASTER_CONFIG = config;
  env.TMPDIR = TMP;
  return env;
}

/** "uid gid mode" of a path inside the namespace. */
async function owner(ns: number, path: string): Promise<string> {
  const r = await inside(ns, `stat -c '%u %g %a %F' ${path}`, envWith(undefined));
  assert.equal(r.code, 0, r.err);
  return r.out.trim();
}

test('started as root with user 10001: /run/ringmaster belongs to 10001, mode 0700; ctl finds it as root and as 10001; squatting the temp dir changes nothing', async () => {
  const config = CONFIG('10001');
  // nobody takes the names a per-uid default in /tmp would have: the file and the directory.
  const rm = inNamespace({
    runReadOnly: false,
    before: `${as(65534)} touch ${TMP}/ringmaster-10001.sock && ${as(65534)} mkdir -m 0777 ${TMP}/ringmaster-10001`,
    init: '',
    config,
  });
  try {
    // Generous: two Node start-ups (a squatter's and the init's) on a loaded machine.
    await rm.waitStderr((s) => s.includes('all watchers started'), 30_000);
    const ns = await rm.initPidNow();
    assert.match(rm.stderr(), /control socket listening path=\/run\/ringmaster\/control\.sock/);
    assert.equal(await owner(ns, '/run/ringmaster'), '10001 10001 700 directory');
    assert.equal(await owner(ns, '/run/ringmaster/control.sock'), '10001 10001 600 socket');

    const asRoot = await inside(ns, `${NODE} ${BIN} ctl status --json`, envWith(config));
    assert.equal(asRoot.code, 0, asRoot.err);
    assert.equal((JSON.parse(asRoot.out) as { pid: number }).pid, 1);
    const asUser = await inside(ns, `${as(10001)} ${NODE} ${BIN} ctl scale w 1`, envWith(config));
    assert.deepEqual([asUser.code, asUser.out, asUser.err], [0, 'w: 1 process desired\n', '']);
    // Without the config, root still finds it: only root can have made a directory in /run.
    const noConfig = await inside(ns, `${NODE} ${BIN} ctl status`, envWith(undefined));
    assert.equal(noConfig.code, 0, noConfig.err);
    const asNobody = await inside(ns, `${as(65534)} ${NODE} ${BIN} ctl status`, envWith(config));
    assert.equal(asNobody.code, 69);
    assert.match(asNobody.err, /\/run\/ringmaster is closed to uid 65534 \(nobody\): run ctl as uid 10001 or root/);
  } finally {
    await rm.close();
  }
});

test('a read-only container with only the temp dir writable, run as uid 10001 (a restricted pod): the socket is in $TMPDIR/ringmaster-10001, mode 0700; ctl finds it', async () => {
  const config = CONFIG(undefined);
  const rm = inNamespace({ runReadOnly: true, before: '', init: as(10001), config });
  try {
    // Generous: two Node start-ups (a squatter's and the init's) on a loaded machine.
    await rm.waitStderr((s) => s.includes('all watchers started'), 30_000);
    const ns = await rm.initPidNow();
    assert.match(rm.stderr(), /control socket listening path=\/run\/tmp\/ringmaster-10001\/control\.sock/);
    assert.equal(await owner(ns, `${TMP}/ringmaster-10001`), '10001 10001 700 directory');
    assert.equal(await owner(ns, `${TMP}/ringmaster-10001/control.sock`), '10001 10001 600 socket');
    const r = await inside(ns, `${as(10001)} ${NODE} ${BIN} ctl status`, envWith(config));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^w +running +1\/1 /m);
  } finally {
    await rm.close();
  }
});

test('a squatted default directory (nobody made $TMPDIR/ringmaster-10001, with a socket in it) is refused by the init and by ctl, naming its owner', async () => {
  const config = CONFIG('10001');
  const dir = `${TMP}/ringmaster-10001`;
  // A listener of nobody's that answers every line as a ringmaster would.
  const fake = `require('net').createServer((c) => c.on('data', () => c.write('{"id":null,"ok":true,"result":{"pid":7}}\\n'))).listen('${dir}/control.sock')`;
  const rm = inNamespace({
    runReadOnly: true,
    before: `${as(65534)} mkdir -m 0755 ${dir} && (${as(65534)} ${NODE} -e "$FAKE" &) && while [ ! -S ${dir}/control.sock ]; do sleep 0.05; done`,
    init: '',
    config,
    env: { FAKE: fake },
  });
  try {
    // The init runs on without a control socket, and says why, whose and what to do.
    // Generous: two Node start-ups (a squatter's and the init's) on a loaded machine.
    await rm.waitStderr((s) => s.includes('all watchers started'), 30_000);
    const ns = await rm.initPidNow();
    assert.match(
      rm.stderr(),
      /control socket not available, running without ringmaster ctl: control socket directory \/run\/tmp\/ringmaster-10001 belongs to uid 65534 \(nobody\), not to uid 10001: someone else made it before ringmaster.*remove it \(rm -r \/run\/tmp\/ringmaster-10001\)/,
    );
    // ctl will not talk to nobody's socket.
    const r = await inside(ns, `${NODE} ${BIN} ctl status`, envWith(config));
    assert.equal(r.code, 69, r.out);
    assert.match(r.err, /not using the control socket \/run\/tmp\/ringmaster-10001\/control\.sock: the directory \/run\/tmp\/ringmaster-10001 belongs to uid 65534 \(nobody\)/);
  } finally {
    await rm.close();
  }
});
