/**
 * The JSON Schema (draft-07) of the YAML form, generated from the option table so that
 * the schema, the INI coercion and the messages cannot drift apart. The same schema
 * validates INI files after coercion. `ringmaster schema` prints it for editors.
 */
import {
  ENV_SPEC,
  FREE_FORM,
  GLOBAL_OPTIONS,
  MAX_AUTO_FACTOR,
  MAX_SECONDS,
  MIN_AUTO_FACTOR,
  RLIMIT_SPEC,
  SOCKET_OPTIONS,
  TASK_OPTIONS,
  WATCHER_OPTIONS,
  type OptionSpec,
} from './options.js';

type Schema = Record<string, unknown>;

/** Socket and watcher names: what `$(circus.sockets.NAME)` can name ([\w.-]). */
export const NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$';

const SIGNAL: Schema = {
  anyOf: [
    { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9]*$' },
    { type: 'integer', minimum: 1, maximum: 31 },
  ],
};
/** `512Mi`, `1 GB`, `40%`: a max_memory as text. */
export const MEMORY_PATTERN = '^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*(%|B|[kKMGT]B?|[KMGT]iB?)?\\s*$';
const SECONDS: Schema = { type: 'number', minimum: 0, maximum: MAX_SECONDS };

function optionSchema(spec: OptionSpec): Schema {
  const range: Schema = {};
  if (spec.minimum !== undefined) range['minimum'] = spec.minimum;
  if (spec.maximum !== undefined) range['maximum'] = spec.maximum;
  const d = { description: spec.description };
  switch (spec.type) {
    case 'int':
      return { type: 'integer', ...range, ...d };
    case 'number':
      return { type: 'number', ...range, ...d };
    case 'bool':
      return { type: 'boolean', ...d };
    case 'string':
      return { type: 'string', ...d };
    case 'id':
      return { type: ['string', 'integer'], ...d };
    case 'octal':
      return { type: 'integer', ...range, ...d };
    case 'signal':
      return { ...SIGNAL, ...d };
    case 'signals':
      return { type: 'array', items: SIGNAL, ...d };
    case 'names':
      return { type: 'array', items: { type: 'string', pattern: NAME_PATTERN }, ...d };
    case 'exit_codes':
      return { type: 'array', items: { type: 'integer', ...range }, ...d };
    case 'argv':
    case 'paths':
      return { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], ...d };
    case 'env':
      return {
        type: 'object',
        propertyNames: { pattern: '^[^=\\u0000]+$' },
        additionalProperties: { type: ['string', 'number', 'boolean'] },
        ...d,
      };
    case 'rlimit':
      return { type: ['integer', 'null'], ...range, ...d };
    case 'processes':
      return {
        anyOf: [
          { type: 'integer', ...range },
          { type: 'string', pattern: '^\\s*[Aa][Uu][Tt][Oo](\\s*\\*\\s*(\\d+(\\.\\d+)?|\\.\\d+))?\\s*$' },
          {
            type: 'object',
            properties: { auto: { type: 'number', minimum: MIN_AUTO_FACTOR, maximum: MAX_AUTO_FACTOR } },
            required: ['auto'],
            additionalProperties: false,
          },
        ],
        ...d,
      };
    case 'memory':
      // bytes after coercion; the text forms for editors (their units and range checked by the coercion)
      return { anyOf: [{ type: 'integer', ...range }, { type: 'string', pattern: MEMORY_PATTERN }], ...d };
    case 'enum':
      return { enum: [...(spec.values ?? []), ...(spec.boolValues === undefined ? [] : [true, false])], ...d };
    case 'ready':
      return {
        anyOf: [
          { enum: ['none', 'notify'] },
          { type: 'string', pattern: '^(notify\\s+timeout=|delay[:=]|https?://)' },
          {
            type: 'object',
            properties: { notify: { const: true }, timeout: SECONDS },
            required: ['notify'],
            additionalProperties: false,
          },
          {
            type: 'object',
            properties: { http: { type: 'string', pattern: '^https?://' }, timeout: SECONDS },
            required: ['http'],
            additionalProperties: false,
          },
          {
            type: 'object',
            properties: { delay: SECONDS },
            required: ['delay'],
            additionalProperties: false,
          },
        ],
        ...d,
      };
    case 'ignored':
      return { ...d };
  }
}

function section(options: Readonly<Record<string, OptionSpec>>, extra: Schema = {}): Schema {
  const properties: Schema = {};
  for (const [k, spec] of Object.entries(options)) properties[k] = optionSchema(spec);
  return { type: 'object', properties, additionalProperties: false, ...extra };
}

/** The JSON Schema of the YAML form (a new object on each call). */
export function configSchema(): object {
  const freeForm: Schema = {};
  for (const f of FREE_FORM) freeForm[`^${f.prefix.replace('.', '\\.')}.+$`] = { description: `Circus: ${f.ignored}` };
  const rlimits: Schema = { '^rlimit_[A-Za-z]+$': optionSchema(RLIMIT_SPEC) };
  Object.assign(freeForm, rlimits);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://ringmaster.dev/schema/config.json',
    title: 'ringmaster configuration',
    type: 'object',
    additionalProperties: false,
    properties: {
      ringmaster: section(GLOBAL_OPTIONS, { description: 'Options of the init itself ([circus] in INI).' }),
      sockets: {
        type: 'object',
        description: 'Sockets the init binds before starting any watcher, by name.',
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: { $ref: '#/definitions/socket' },
      },
      watchers: {
        type: 'object',
        description: 'Pools of workers, by name.',
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: { $ref: '#/definitions/watcher' },
      },
      tasks: {
        type: 'object',
        description: 'Commands that run to completion (at start, at stop, or on a schedule), by name.',
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: { $ref: '#/definitions/task' },
      },
      env: optionSchema(ENV_SPEC),
    },
    definitions: {
      socket: section(SOCKET_OPTIONS),
      watcher: section(WATCHER_OPTIONS, { required: ['cmd'], patternProperties: freeForm }),
      task: section(TASK_OPTIONS, { required: ['cmd'], patternProperties: rlimits }),
    },
  };
}

/** FNV-1a of the schema's JSON, to tell whether a prebuilt validator matches this schema. */
export function schemaHash(schema: object): string {
  const s = JSON.stringify(schema);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
