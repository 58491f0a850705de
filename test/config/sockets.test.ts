import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, configFromArgv, socketFromUrl } from '../../src/config/index.js';
import { socketRefs } from '../../src/config/build-watcher.js';
import { ini, messagesOf, yaml } from './helpers.js';

describe('sockets', () => {
  it('reads umask as OCTAL (Circus reads it as decimal)', () => {
    const c = ini('[socket:a]\npath = /run/a.sock\numask = 022\n[socket:b]\npath = /run/b.sock\numask = 000\n[socket:c]\npath = /run/c.sock\n[watcher:w]\ncmd = x\n');
    assert.deepEqual(c.sockets.map((s) => [s.name, s.umask]), [
      ['a', 0o22],
      ['b', 0],
      ['c', 0o10],
    ]);
    // YAML 1.2 would read 022 as 22: the source text is read as octal instead
    const y = yaml('sockets:\n  a: {path: /run/a.sock, umask: 022, mode: 660}\n  b: {path: /run/b.sock, umask: "0o27"}\nwatchers: {w: {cmd: x}}\n');
    assert.deepEqual(y.sockets.map((s) => [s.umask, s.mode]), [
      [0o22, 0o660],
      [0o27, undefined],
    ]);
  });

  it('matches socket names in cmd exactly, not as substrings', () => {
    const c = yaml(
      [
        'sockets:',
        '  web: {port: 0}',
        '  web2: {port: 0}',
        '  webadmin: {path: /run/x.sock}',
        'watchers:',
        '  a: {cmd: "node a.js --fd $(circus.sockets.web2)"}',
        '  b: {cmd: "node b.js --fd ((circus.sockets.WEB))", args: "--admin {SOCKET:webadmin}"}',
        '  c: {cmd: node c.js, sockets: [web]}',
        '  d: {cmd: node d.js, use_sockets: true}',
        '  e: {cmd: node e.js}',
      ].join('\n'),
    );
    const of = (n: string): string[] | undefined => c.watchers.find((w) => w.name === n)?.sockets;
    assert.deepEqual(of('a'), ['web2']);
    assert.deepEqual(of('b'), ['web', 'webadmin']);
    assert.deepEqual(of('c'), ['web']);
    assert.deepEqual(of('d'), ['web', 'web2', 'webadmin']);
    assert.deepEqual(of('e'), []);
    assert.deepEqual(socketRefs(['--fd=$(circus.sockets.web)', '$(circus.sockets.web.v2)x']), ['web', 'web.v2']);
  });

  it('infers the family and fills in defaults', () => {
    const c = yaml('sockets:\n  a: {path: "@abstract"}\n  b: {host: "::1", port: 0}\n  c: {}\n  d: {family: inet6, type: dgram, port: 53}\nwatchers: {w: {cmd: x}}\n');
    const [a, b, s, d] = c.sockets;
    assert.deepEqual([a?.family, a?.path], ['AF_UNIX', '@abstract']);
    assert.deepEqual([b?.family, b?.host], ['AF_INET6', '::1']);
    assert.deepEqual(s, {
      name: 'c',
      family: 'AF_INET',
      host: 'localhost',
      port: 8080,
      path: undefined,
      type: 'SOCK_STREAM',
      backlog: 2048,
      v6only: undefined,
      so_reuseport: false,
      mode: undefined,
      umask: 0o10,
      owner: undefined,
      group: undefined,
      replace: false,
      blocking: false,
      interface: undefined,
    });
    assert.deepEqual([d?.family, d?.type], ['AF_INET6', 'SOCK_DGRAM']);
  });

  it('rejects contradictions between socket options', () => {
    assert.deepEqual(messagesOf(() => yaml('sockets:\n  a: {path: /x.sock, family: AF_INET}\n  b: {path: "@x", mode: 600}\n  c: {v6only: true}\nwatchers: {w: {cmd: x}}\n')), [
      'sockets.a.family is AF_INET but path is set; remove family (a path means AF_UNIX) or remove path (ringmaster.yaml:2:30)',
      'sockets.b.mode does not apply to an abstract socket (@x has no file); remove it (ringmaster.yaml:3:19)',
      'sockets.c.v6only applies to AF_INET6 sockets only; remove it or set family: AF_INET6 (ringmaster.yaml:4:7)',
    ]);
  });

  it('accepts the Circus proto option with a warning', () => {
    const c = ini('[socket:s]\nport = 0\nproto = tcp\n[watcher:w]\ncmd = x\n');
    assert.deepEqual(c.warnings, ['sockets.s.proto: the protocol follows from type; ignored (circus.ini:3:1)']);
  });

  describe('socketFromUrl', () => {
    const cases: Array<[string, Partial<ReturnType<typeof socketFromUrl>>]> = [
      ['tcp://127.0.0.1:8000', { family: 'AF_INET', host: '127.0.0.1', port: 8000, type: 'SOCK_STREAM' }],
      ['tcp://localhost:0', { family: 'AF_INET', host: 'localhost', port: 0 }],
      ['tcp://:80', { family: 'AF_INET', host: '0.0.0.0', port: 80 }],
      ['tcp://[::1]:8443', { family: 'AF_INET6', host: '::1', port: 8443 }],
      ['tcp://[::]:80', { family: 'AF_INET6', host: '::', port: 80 }],
      ['udp://0.0.0.0:53', { family: 'AF_INET', port: 53, type: 'SOCK_DGRAM' }],
      ['unix:/run/app.sock', { family: 'AF_UNIX', path: '/run/app.sock' }],
      ['unix:///run/app.sock', { family: 'AF_UNIX', path: '/run/app.sock' }],
      ['unix:@app', { family: 'AF_UNIX', path: '@app' }],
    ];
    for (const [url, want] of cases) {
      it(url, () => {
        const s = socketFromUrl('Web', url);
        assert.equal(s.name, 'web');
        for (const [k, v] of Object.entries(want)) assert.equal(s[k as keyof typeof s], v, k);
        assert.equal(s.backlog, 2048);
      });
    }
    it('rejects bad URLs with the forms it takes', () => {
      for (const url of ['http://x:80', 'tcp://x', 'tcp://x:99999', 'unix:', 'tcp://[::1:80']) {
        assert.throws(() => socketFromUrl('web', url), (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.match(e.message, new RegExp(`^--socket web=${url.replace(/[[\]/.:]/g, '\\$&')}: `));
          return true;
        });
      }
      assert.throws(() => socketFromUrl('bad name', 'tcp://:80'), /"bad name" is not a valid socket name/);
    });
  });

  describe('two sockets on one address', () => {
    const REUSE = 'Linux shares an address only between sockets that all set so_reuseport';
    const FIX = 'set so_reuseport on both (their workers then share the connections) or give one another port';
    it("Circus's reuseport.ini: one socket with so_reuseport, one without, is an error naming both", () => {
      const text = '[circus]\ncheck_delay = 5\n\n[socket:reuseport]\nhost = 127.0.0.1\nport = 8888\nso_reuseport = True\n\n[socket:noreuseport]\nhost = 127.0.0.1\nport = 8888\n';
      assert.deepEqual(messagesOf(() => ini(text)), [
        `sockets.reuseport and sockets.noreuseport are both on tcp://127.0.0.1:8888: ${REUSE} (only sockets.reuseport sets it); ${FIX} (circus.ini:4:1)`,
      ]);
    });
    it('overlaps: a wildcard and a host, [::] without v6only and IPv4, a unix path written twice', () => {
      const text = [
        'sockets:',
        '  any: {host: 0.0.0.0, port: 8080}',
        '  lo: {host: 127.0.0.1, port: 8080}',
        '  six: {host: "::", port: 9090}',
        '  four: {host: 127.0.0.1, port: 9090}',
        '  u1: {path: /run/app.sock}',
        '  u2: {path: /run//app.sock}',
        '  name1: {host: LocalHost, port: 7070}',
        '  name2: {host: localhost, port: 7070}',
      ].join('\n');
      assert.deepEqual(messagesOf(() => yaml(text)), [
        `sockets.lo and sockets.any overlap: tcp://127.0.0.1:8080 and tcp://0.0.0.0:8080: ${REUSE}; ${FIX} (ringmaster.yaml:3:3)`,
        `sockets.six and sockets.four overlap: tcp://[::]:9090 and tcp://127.0.0.1:9090: ${REUSE}; ${FIX} (ringmaster.yaml:4:3)`,
        `sockets.u2 and sockets.u1 are both on unix:/run/app.sock: one would take the other's file; give one another path (ringmaster.yaml:7:3)`,
        `sockets.name2 and sockets.name1 are both on tcp://localhost:7070: ${REUSE}; ${FIX} (ringmaster.yaml:9:3)`,
      ]);
    });
    it('no clash: both so_reuseport (as Circus allows), port 0, TCP beside UDP, [::] with v6only, other hosts', () => {
      const c = yaml(
        [
          'sockets:',
          '  a: {host: 127.0.0.1, port: 8888, so_reuseport: true}',
          '  b: {host: 127.0.0.1, port: 8888, so_reuseport: true}',
          '  e1: {host: 127.0.0.1, port: 0}',
          '  e2: {host: 127.0.0.1, port: 0}',
          '  tcp: {host: 127.0.0.1, port: 5353}',
          '  udp: {host: 127.0.0.1, port: 5353, type: SOCK_DGRAM}',
          '  v6: {host: "::", port: 6000, v6only: true}',
          '  v4: {host: 0.0.0.0, port: 6000}',
          '  h1: {host: 127.0.0.1, port: 6001}',
          '  h2: {host: 127.0.0.2, port: 6001}',
          '  abs: {path: "@app"}',
          '  file: {path: /run/app}',
          'watchers:',
          '  w: {cmd: /bin/true}',
        ].join('\n'),
      );
      assert.equal(c.sockets.length, 12);
    });
  });

  it('builds a frozen command-line config with sockets only', () => {
    const c = configFromArgv([socketFromUrl('b', 'tcp://:81'), socketFromUrl('a', 'unix:/a.sock')]);
    assert.equal(c.source.format, 'argv');
    assert.deepEqual(c.sockets.map((s) => s.name), ['a', 'b']);
    assert.deepEqual(c.watchers, []);
    assert.equal(c.ringmaster.graceful_timeout, 25);
    assert.ok(Object.isFrozen(c.sockets[0]));
    assert.throws(() => configFromArgv([socketFromUrl('a', 'tcp://:1'), socketFromUrl('A', 'tcp://:2')]), /--socket a is given twice/);
  });
});
