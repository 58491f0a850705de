/**
 * Files read for values, at every load and reload: `${file:PATH}` (a secret mounted as a
 * file: Kubernetes, Docker) and `env_file` (dotenv, parsed by Node's util.parseEnv).
 *
 * Relative paths start at the directory of the config file that names them (as `include`
 * does); for RINGMASTER_CONFIG, at the invocation's directory. Each file is opened
 * O_NONBLOCK (a FIFO cannot block PID 1), checked on the open fd to be a regular file (a
 * directory, /dev/zero, a socket: refused), and read by hand up to its limit plus one byte
 * (files in /proc say size 0; /proc/self/mem fails to read and is refused). Their content
 * is taken as is: no `${...}` in it is expanded, so a file naming itself is no loop.
 *
 * Limits: a `${file:}` file at most MAX_FILE_VALUE_BYTES (64 KiB: a value that the kernel
 * could not pass as an argument or variable anyway is above 128 KiB), an env_file at most
 * MAX_ENV_FILE_BYTES, and one config reads at most MAX_VALUE_FILES such files and
 * MAX_VALUE_BYTES in all. Reads are synchronous (bounded, regular files), also at a reload.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { ReadFileValue } from './interpolate.js';
import type { Budget } from './limits.js';

/** Bytes of one file read with `${file:PATH}`. */
export const MAX_FILE_VALUE_BYTES = 64 * 1024;
/** Bytes of one env_file. */
export const MAX_ENV_FILE_BYTES = 256 * 1024;
/** Files read with env_file and `${file:}` by one config. */
export const MAX_VALUE_FILES = 256;
/** Bytes of all of them together. */
export const MAX_VALUE_BYTES = 4 * 1024 * 1024;

export type ValueRead = { ok: true; text: string; abs: string } | { ok: false; message: string };

/** The directory relative paths in `file` (a label as in SourcePos) start from. */
export function baseDirOf(file: string | undefined, cwd: string): string {
  if (file === undefined || file === 'RINGMASTER_CONFIG' || file === '') return cwd;
  return dirname(resolve(cwd, file));
}

/**
 * The text of `path` (relative to `dir`): at most `max` bytes, a regular file, no NUL byte.
 * The message names the file as written and its absolute path, never its content.
 */
export function readValueFile(path: string, dir: string, max: number, budget: Budget): ValueRead {
  const abs = resolve(dir, path);
  const named = abs === path ? path : `${path} (${abs})`;
  const fail = (why: string): ValueRead => ({ ok: false, message: `cannot read ${named}: ${why}` });
  if (path === '') return { ok: false, message: 'names no file; give a path' };
  if (path.includes('\0')) return { ok: false, message: 'names a path with a NUL byte; remove it' };
  if (++budget.valueFiles > MAX_VALUE_FILES) return fail(`more than ${MAX_VALUE_FILES} files are read for values (env_file, \${file:}) by this config; read fewer`);
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return fail(`${errText(e)}; check the path (relative paths start at the config file's directory) and its permissions`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return fail(`it is ${st.isDirectory() ? 'a directory' : 'not a regular file (a device, a FIFO or a socket)'}; give the path of a file`);
    if (st.size > max) return fail(`it is ${st.size} bytes, over the limit of ${max}`);
    // the whole limit (64 or 256 KiB): a /proc file says size 0, a file may grow meanwhile
    const buf = Buffer.allocUnsafe(max + 1);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    if (n > max) return fail(`it is over the limit of ${max} bytes`);
    if ((budget.valueBytes += n) > MAX_VALUE_BYTES) return fail(`the files read for values by this config are over ${MAX_VALUE_BYTES} bytes in all; read fewer or smaller ones`);
    if (buf.subarray(0, n).includes(0)) return fail('it holds a NUL byte, which no argument or environment variable can carry; it is no text file');
    return { ok: true, text: buf.toString('utf8', 0, n), abs };
  } catch (e) {
    return fail(errText(e));
  } finally {
    closeSync(fd);
  }
}

/** `${file:PATH}`: the file's text without one trailing newline (as `echo` and editors leave it). */
export function fileValue(path: string, dir: string, budget: Budget): ValueRead {
  const r = readValueFile(path, dir, MAX_FILE_VALUE_BYTES, budget);
  return r.ok ? { ...r, text: r.text.replace(/\r?\n$/, '') } : r;
}

/** `${file:}` readers for the values of a config read from `cwd`: one per file the values are written in. */
export function fileValueReader(cwd: string, budget: Budget): (fromFile: string | undefined) => ReadFileValue {
  return (fromFile) => (path) => fileValue(path, baseDirOf(fromFile, cwd), budget);
}

/**
 * The number of the first line that defines nothing (no `=`), outside a quoted value that
 * spans lines. Node 20's parseEnv glues such a line to the next name, Node 22 and later
 * drop it: either way a mistake would pass unseen, and differently on each Node.
 */
function strayLine(text: string): number | undefined {
  let open: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (open !== undefined) {
      if (line.includes(open)) open = undefined;
      continue;
    }
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq < 0) return i + 1;
    const v = t.slice(eq + 1).trimStart();
    const q = v[0];
    if ((q === '"' || q === "'" || q === '`') && !v.slice(1).includes(q)) open = q;
  }
  return undefined;
}

export type EnvFileRead = { ok: true; env: Record<string, string>; abs: string } | { ok: false; message: string };

/** One env_file, parsed as dotenv (`NAME=value`, `#` comments, quotes; `export ` prefixes allowed). */
export function readEnvFile(path: string, dir: string, budget: Budget): EnvFileRead {
  const r = readValueFile(path, dir, MAX_ENV_FILE_BYTES, budget);
  if (!r.ok) return r;
  const text = r.text.replace(/^\uFEFF/, '');
  const stray = strayLine(text);
  if (stray !== undefined) return { ok: false, message: `${path} line ${stray} has no "=": write one NAME=value per line (# starts a comment)` };
  const env = Object.assign(Object.create(null) as Record<string, string>, parseEnv(text));
  for (const name of Object.keys(env)) {
    if (name === '' || /[\s=\0]/.test(name)) {
      return { ok: false, message: `${path} defines a variable named ${JSON.stringify(name.slice(0, 40))}: write one NAME=value per line, with no space or "=" in NAME` };
    }
  }
  return { ok: true, env, abs: r.abs };
}

function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return `it cannot be read (${err.code ?? err.message})`;
  }
}
