import { CustomerEvents, ScoringEvents, type EventDefinition } from './events';
import { SalesEvents } from './sales-events';

/** Every event the suite knows, by CloudEvents type. */
export const eventCatalog: ReadonlyMap<string, EventDefinition> = new Map(
  [...Object.values(CustomerEvents), ...Object.values(ScoringEvents), ...Object.values(SalesEvents)].map((definition) => [definition.type, definition as EventDefinition]),
);
