// The migration: must succeed before the web workers start (they depend on it).
import { writeFileSync } from 'node:fs';
import { at } from './state.mjs';

if (!process.env.DB_PASSWORD) {
  console.error('migrate: DB_PASSWORD is not set');
  process.exit(2);
}
console.log('migrate: schema at version 3');
writeFileSync(at('schema-version'), '3\n');
