import { z } from 'zod';
import { eventCatalog } from './event-catalog';
import type { EventDefinition } from './events';

/**
 * The event catalogue as JSON Schema: every event type's `data`, as published on the wire. The
 * committed snapshot (packages/domain/events.schema.json, `pnpm events:schema`) is the events'
 * contract, as openapi.json is the HTTP one; a unit test holds the code to it.
 */
export type JsonSchema = { [keyword: string]: unknown };

export interface EventSchemaCatalog {
  $schema: string;
  events: Record<string, JsonSchema>;
}

export function eventSchemaCatalog(catalog: ReadonlyMap<string, EventDefinition> = eventCatalog): EventSchemaCatalog {
  const events: Record<string, JsonSchema> = {};
  for (const type of [...catalog.keys()].sort()) {
    const definition = catalog.get(type) as EventDefinition;
    const { $schema: _dialect, ...schema } = z.toJSONSchema(definition.data, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as JsonSchema;
    events[type] = schema;
  }
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', events };
}

export interface IncompatibleChange {
  type: string;
  path: string;
  change: 'event removed' | 'field removed' | 'field newly required' | 'type changed';
}

const VERSIONED = /^(.*)\.v(\d+)$/;

/** `string`, `string|null`, `array`, …: what a consumer's parser has to expect at a node. */
function typesOf(schema: JsonSchema): string {
  const types = new Set<string>();
  const collect = (node: JsonSchema) => {
    if (typeof node.type === 'string') types.add(node.type);
    if (Array.isArray(node.type)) for (const type of node.type as string[]) types.add(type);
    if (typeof node.$ref === 'string') types.add(`ref:${node.$ref}`);
    for (const key of ['anyOf', 'oneOf']) if (Array.isArray(node[key])) for (const member of node[key] as JsonSchema[]) collect(member);
    if ('const' in node && node.type === undefined) types.add(typeof node.const);
  };
  collect(schema);
  return [...types].sort().join('|');
}

function compareSchemas(type: string, path: string, before: JsonSchema, after: JsonSchema, found: IncompatibleChange[]): void {
  const [typesBefore, typesAfter] = [typesOf(before), typesOf(after)];
  if (typesBefore !== typesAfter && typesBefore !== '') {
    found.push({ type, path: `${path} (${typesBefore} → ${typesAfter || 'any'})`, change: 'type changed' });
    return;
  }
  const propertiesBefore = (before.properties ?? {}) as Record<string, JsonSchema>;
  const propertiesAfter = (after.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, schema] of Object.entries(propertiesBefore)) {
    const next = propertiesAfter[name];
    if (!next) found.push({ type, path: `${path}.${name}`, change: 'field removed' });
    else compareSchemas(type, `${path}.${name}`, schema, next, found);
  }
  const requiredBefore = new Set((before.required ?? []) as string[]);
  // A new required field, or an optional one made required: an event written before lacks it.
  for (const name of (after.required ?? []) as string[]) {
    if (!requiredBefore.has(name)) found.push({ type, path: `${path}.${name}`, change: 'field newly required' });
  }
  for (const key of ['items', 'additionalProperties']) {
    const [inner, next] = [before[key], after[key]];
    if (inner && next && typeof inner === 'object' && typeof next === 'object') compareSchemas(type, `${path}.${key === 'items' ? '[]' : '*'}`, inner as JsonSchema, next as JsonSchema, found);
  }
}

/**
 * What in `after` breaks consumers of `before`: a field removed, a field newly required, a type changed,
 * an event type gone. A new version of a type (`….v1` → `….v2`) is a new contract: the old type may
 * go when its successor is there, and the successor is compared with nothing.
 */
export function incompatibleEventChanges(before: EventSchemaCatalog, after: EventSchemaCatalog): IncompatibleChange[] {
  const found: IncompatibleChange[] = [];
  const versionOf = (type: string) => VERSIONED.exec(type);
  for (const [type, schema] of Object.entries(before.events)) {
    const next = after.events[type];
    if (next) {
      compareSchemas(type, 'data', schema, next, found);
      continue;
    }
    const [, base, version] = versionOf(type) ?? [];
    const succeeded = base !== undefined && Object.keys(after.events).some((candidate) => {
      const match = versionOf(candidate);
      return match?.[1] === base && Number(match[2]) > Number(version);
    });
    if (!succeeded) found.push({ type, path: 'data', change: 'event removed' });
  }
  return found;
}
