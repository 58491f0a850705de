import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivateDir, unsafeDirectory } from '../../src/control/private-dir.js';
import { RingmasterError } from '../../src/errors/codes.js';
import { tempSocketDir } from './fake.js';

const USER = { uid: 10001, gid: 10001 };

test('a socket directory must be writable by its user (or root) alone, up to /; sticky ones like /tmp are fine', () => {
  const t = tempSocketDir();
  try {
    assert.equal(unsafeDirectory(t.dir, USER), undefined);
    chmodSync(t.dir, 0o1777);
    assert.equal(unsafeDirectory(t.dir, USER), undefined);
    chmodSync(t.dir, 0o777);
    assert.match(unsafeDirectory(join(t.dir, '.'), USER) ?? '', /the directory .* is writable by every user \(mode 0777\), so someone other than uid 10001 could put their own socket in its place/);
    chmodSync(t.dir, 0o775);
    assert.match(unsafeDirectory(t.dir, USER) ?? '', /is writable by group 0 \(mode 0775\)/);
    chmodSync(t.dir, 0o700);
    const sub = join(t.dir, 'sub');
    mkdirSync(sub);
    chownSync(sub, 65534, 65534);
    assert.match(unsafeDirectory(sub, USER) ?? '', /the directory .*\/sub belongs to uid 65534 \(nobody\)/);
    assert.match(unsafeDirectory(join(t.dir, 'none'), USER) ?? '', /does not exist/);
  } finally {
    t.cleanup();
  }
});

test("makePrivateDir: made 0700 for the user dropped to; someone else's directory, a symbolic link or a file is refused, naming its owner", () => {
  const t = tempSocketDir();
  try {
    const dir = join(t.dir, 'ringmaster-10001');
    assert.deepEqual(makePrivateDir(dir, USER), { kind: 'ready' });
    const st = lstatSync(dir);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [10001, 10001, 0o700]);
    // Again: found so, kept so (a restart).
    assert.deepEqual(makePrivateDir(dir, USER), { kind: 'ready' });

    const theirs = join(t.dir, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    assert.throws(
      () => makePrivateDir(theirs, USER),
      (e: unknown) => e instanceof RingmasterError && e.code === 'RM_SOCKET' && /theirs belongs to uid 65534 \(nobody\), not to uid 10001: someone else made it.*remove it \(rm -r .*theirs\)/.test(e.message),
    );
    const link = join(t.dir, 'link');
    symlinkSync(dir, link);
    assert.throws(() => makePrivateDir(link, USER), /link is a symbolic link that belongs to uid 0 \(root\), not to uid 10001/);
    // A directory that cannot be had here is a reason to try the next place, not an error.
    assert.equal(makePrivateDir(join(t.dir, 'no', 'such'), USER).kind, 'unusable');
  } finally {
    t.cleanup();
  }
});
