import type { AttributeDefinitionRow, Db } from '../db/tables';

export type { AttributeDefinitionRow } from '../db/tables';

/** What a customer's attribute values are checked against. */
export type AttributeRule = Pick<AttributeDefinitionRow, 'name' | 'type' | 'allowed_values'>;

export interface NewAttributeDefinition {
  name: string;
  type: AttributeDefinitionRow['type'];
  allowedValues: string[] | null;
  description: string | null;
  at: Date;
}

export const attributeDefinitionRepository = Object.freeze({
  /** The new definition, or undefined when the name is taken. */
  async insert(trx: Db, definition: NewAttributeDefinition): Promise<AttributeDefinitionRow | undefined> {
    const { name, type, allowedValues, description, at } = definition;
    return trx
      .insertInto('attribute_definition')
      .values({ name, type, allowed_values: allowedValues, description, created_at: at, updated_at: at })
      .onConflict((oc) => oc.column('name').doNothing())
      .returningAll()
      .executeTakeFirst();
  },

  /** Keyset page by name (one more than `limit`, for the next cursor). */
  async list(db: Db, page: { afterName?: string | undefined; limit: number }): Promise<AttributeDefinitionRow[]> {
    let query = db.selectFrom('attribute_definition').selectAll();
    if (page.afterName !== undefined) query = query.where('name', '>', page.afterName);
    return query.orderBy('name').limit(page.limit + 1).execute();
  },

  async lockByName(trx: Db, name: string): Promise<AttributeDefinitionRow | undefined> {
    return trx.selectFrom('attribute_definition').selectAll().where('name', '=', name).forUpdate().executeTakeFirst();
  },

  /** Applies the changes given (undefined: unchanged) and bumps the version. */
  async update(
    trx: Db,
    name: string,
    changes: { allowedValues?: string[] | undefined; description?: string | undefined },
    at: Date,
  ): Promise<AttributeDefinitionRow> {
    return trx
      .updateTable('attribute_definition')
      .set((eb) => ({
        ...(changes.allowedValues ? { allowed_values: changes.allowedValues } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        version: eb('version', '+', 1),
        updated_at: at,
      }))
      .where('name', '=', name)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Every definition's type and allowed values: what customer attributes are checked against. */
  async rules(db: Db): Promise<AttributeRule[]> {
    return db.selectFrom('attribute_definition').select(['name', 'type', 'allowed_values']).execute();
  },
});
