import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eventCatalog, eventSchemaCatalog, incompatibleEventChanges, type EventSchemaCatalog, type JsonSchema } from '../src';

const committed = JSON.parse(readFileSync(path.resolve(__dirname, '../events.schema.json'), 'utf8')) as EventSchemaCatalog;

describe('the event catalogue contract (events.schema.json)', () => {
  it('is compatible with the committed snapshot: no field removed or newly required, no type changed, no event gone', () => {
    expect(incompatibleEventChanges(committed, eventSchemaCatalog())).toEqual([]);
  });

  it('is the committed snapshot (run `pnpm events:schema` after a compatible change)', () => {
    expect(eventSchemaCatalog()).toEqual(committed);
    expect(Object.keys(committed.events).sort()).toEqual([...eventCatalog.keys()].sort());
  });
});

describe('the compatibility rule', () => {
  const payload = (properties: Record<string, JsonSchema>, required: string[]): JsonSchema => ({ type: 'object', properties, required });
  const uuid = { type: 'string', format: 'uuid' };
  const catalog = (events: Record<string, JsonSchema>): EventSchemaCatalog => ({ $schema: 'https://json-schema.org/draft/2020-12/schema', events });
  const v1 = catalog({
    'crm.thing.happened.v1': payload({ id: uuid, name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, note: { type: 'string' } }, ['id', 'name', 'tags']),
  });
  const changedTo = (properties: Record<string, JsonSchema>, required: string[], type = 'crm.thing.happened.v1') => catalog({ [type]: payload(properties, required) });
  const { properties } = v1.events['crm.thing.happened.v1'] as { properties: Record<string, JsonSchema> };

  it('finds a removed field', () => {
    const { name: _name, ...rest } = properties;
    expect(incompatibleEventChanges(v1, changedTo(rest, ['id', 'tags']))).toEqual([{ type: 'crm.thing.happened.v1', path: 'data.name', change: 'field removed' }]);
  });

  it('finds a newly required field, new or made required', () => {
    expect(incompatibleEventChanges(v1, changedTo(properties, ['id', 'name', 'tags', 'note']))).toEqual([
      { type: 'crm.thing.happened.v1', path: 'data.note', change: 'field newly required' },
    ]);
    expect(incompatibleEventChanges(v1, changedTo({ ...properties, version: { type: 'integer' } }, ['id', 'name', 'tags', 'version'])).map((c) => c.change)).toEqual([
      'field newly required',
    ]);
  });

  it('finds a changed type, nullability and array items included', () => {
    expect(incompatibleEventChanges(v1, changedTo({ ...properties, name: { type: 'integer' } }, ['id', 'name', 'tags']))[0]?.change).toBe('type changed');
    expect(incompatibleEventChanges(v1, changedTo({ ...properties, name: { anyOf: [{ type: 'string' }, { type: 'null' }] } }, ['id', 'name', 'tags']))[0]?.change).toBe('type changed');
    expect(incompatibleEventChanges(v1, changedTo({ ...properties, tags: { type: 'array', items: { type: 'number' } } }, ['id', 'name', 'tags']))).toEqual([
      { type: 'crm.thing.happened.v1', path: 'data.tags.[] (string → number)', change: 'type changed' },
    ]);
  });

  it('finds an event type gone without a successor', () => {
    expect(incompatibleEventChanges(v1, catalog({}))).toEqual([{ type: 'crm.thing.happened.v1', path: 'data', change: 'event removed' }]);
  });

  it('accepts the same change under a new version of the type', () => {
    const { name: _name, ...rest } = properties;
    expect(incompatibleEventChanges(v1, changedTo(rest, ['id', 'tags', 'note'], 'crm.thing.happened.v2'))).toEqual([]);
  });

  it('accepts compatible changes: a new optional field, a field made optional, a new event type', () => {
    expect(incompatibleEventChanges(v1, changedTo({ ...properties, nickname: { type: 'string' } }, ['id', 'name', 'tags']))).toEqual([]);
    expect(incompatibleEventChanges(v1, changedTo(properties, ['id']))).toEqual([]);
    expect(incompatibleEventChanges(v1, catalog({ ...v1.events, 'crm.thing.other.v1': payload({ id: uuid }, ['id']) }))).toEqual([]);
  });
});
