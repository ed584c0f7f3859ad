import { SafeDate } from '@crm/domain';
import type { AttributeRule } from './attribute-definitions.repository';

/** Custom attributes must be defined by an admin first; no free-for-all JSON. Returns the problems found. */
export function attributeErrors(
  attributes: Record<string, unknown>,
  definitions: ReadonlyMap<string, Pick<AttributeRule, 'type' | 'allowed_values'>>,
): string[] {
  const errors: string[] = [];
  for (const [name, value] of Object.entries(attributes)) {
    const definition = definitions.get(name);
    if (!definition) {
      errors.push(`attributes.${name}: no such attribute is defined (see /v1/attribute-definitions)`);
      continue;
    }
    if (value === null) continue;
    const ok = (() => {
      switch (definition.type) {
        case 'string':
          return typeof value === 'string';
        case 'number':
          return typeof value === 'number' && Number.isFinite(value);
        case 'boolean':
          return typeof value === 'boolean';
        case 'date':
          return typeof value === 'string' && SafeDate.safeParse(value).success;
        case 'enum':
          return typeof value === 'string' && (definition.allowed_values ?? []).includes(value);
      }
    })();
    if (!ok) {
      const expected = definition.type === 'enum' ? `one of ${(definition.allowed_values ?? []).join(', ')}` : `a ${definition.type}`;
      errors.push(`attributes.${name}: must be ${expected}`);
    }
  }
  return errors;
}
