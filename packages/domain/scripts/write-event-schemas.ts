/**
 * `pnpm events:schema` — writes the event catalogue's JSON Schemas to packages/domain/events.schema.json
 * (the committed contract of the events). Refuses a change that breaks consumers of the committed one
 * (a field removed or newly required, a type changed, an event gone) unless the event type's version
 * changed (`….v1` → `….v2`); `--accept-incompatible` writes it anyway, for a change the team has agreed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventSchemaCatalog, incompatibleEventChanges, type EventSchemaCatalog } from '../src/event-schemas';

const EVENT_SCHEMAS_PATH = path.resolve(__dirname, '../events.schema.json');

const current = eventSchemaCatalog();
const committed = existsSync(EVENT_SCHEMAS_PATH) ? (JSON.parse(readFileSync(EVENT_SCHEMAS_PATH, 'utf8')) as EventSchemaCatalog) : undefined;
const incompatible = committed ? incompatibleEventChanges(committed, current) : [];
for (const change of incompatible) process.stderr.write(`incompatible: ${change.type} ${change.path}: ${change.change}\n`);
if (incompatible.length > 0 && !process.argv.includes('--accept-incompatible')) {
  process.stderr.write('not written: give the changed events a new version (….v2), or pass --accept-incompatible\n');
  process.exit(1);
}
writeFileSync(EVENT_SCHEMAS_PATH, `${JSON.stringify(current, null, 2)}\n`);
process.stdout.write(`wrote ${path.relative(process.cwd(), EVENT_SCHEMAS_PATH)} (${Object.keys(current.events).length} event types)\n`);
