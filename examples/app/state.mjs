// Where the example's processes leave their traces: $STATE_DIR, else a directory in /tmp.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const stateDir = process.env.STATE_DIR ?? join(tmpdir(), 'ringmaster-example');
mkdirSync(stateDir, { recursive: true });
export const at = (name) => join(stateDir, name);
