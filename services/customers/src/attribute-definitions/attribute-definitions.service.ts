import { SafeText, type Principal } from '@crm/domain';
import { decodeCursor, idempotencyScope, onceForKey, paginate, problem, Problems, requestHash, requireIfMatch } from '@crm/platform';
import { z } from 'zod';
import type { Dependencies } from '../dependencies';
import { attributeDefinitionRepository, type AttributeDefinitionRow } from './attribute-definitions.repository';
import type { AttributeDefinition, AttributeDefinitionChanges, AttributeDefinitionInput } from './attribute-definitions.schemas';

const NameCursor = z.object({ key: SafeText });

const definitionOf = (row: AttributeDefinitionRow): AttributeDefinition => ({
  name: row.name, type: row.type, allowedValues: row.allowed_values, description: row.description, version: row.version,
});

/** Custom customer attributes: an admin defines each (type, allowed values) before customers may carry it. */
export function createAttributeDefinitionsService({ db, write, runtime }: Pick<Dependencies, 'db' | 'write' | 'runtime'>) {
  return Object.freeze({
    async create(principal: Principal, input: AttributeDefinitionInput, idempotencyKey: string | undefined): Promise<AttributeDefinition> {
      const stored = await write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('attributes.create', principal), key: idempotencyKey, hash: requestHash(input) }, async () => {
          const row = await attributeDefinitionRepository.insert(trx, {
            name: input.name, type: input.type, allowedValues: input.allowedValues ?? null, description: input.description ?? null, at: runtime.now(),
          });
          if (!row) throw problem(Problems.conflict, `attribute ${input.name} is already defined`);
          return { statusCode: 201, body: definitionOf(row) };
        }),
      );
      return stored.body as AttributeDefinition;
    },

    async list(page: { limit: number; cursor?: string | undefined }) {
      const after = decodeCursor(page.cursor, NameCursor);
      const rows = await attributeDefinitionRepository.list(db, { afterName: after?.key, limit: page.limit });
      return paginate(rows, page.limit, definitionOf, (row) => ({ key: row.name }));
    },

    async update(name: string, changes: AttributeDefinitionChanges, ifMatch: string | undefined): Promise<AttributeDefinition> {
      const row = await write(async (trx) => {
        const current = await attributeDefinitionRepository.lockByName(trx, name);
        if (!current) throw problem(Problems.notFound, `attribute ${name} is not defined`);
        requireIfMatch(ifMatch, current.version);
        if (changes.allowedValues && current.type !== 'enum') throw problem(Problems.unprocessable, 'only enum attributes have allowed values');
        return attributeDefinitionRepository.update(trx, current.name, changes, runtime.now());
      });
      return definitionOf(row);
    },
  });
}

export type AttributeDefinitionsService = ReturnType<typeof createAttributeDefinitionsService>;
