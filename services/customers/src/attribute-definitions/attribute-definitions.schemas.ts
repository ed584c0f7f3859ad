import { SafeText } from '@crm/domain';
import { z } from 'zod';

export const AttributeType = z.enum(['string', 'number', 'boolean', 'date', 'enum']);
export const AttributeName = z.string().regex(/^[a-z][a-zA-Z0-9_]{0,62}$/, 'must start with a lower-case letter: letters, digits, "_"');
const AllowedValues = z.array(SafeText.min(1).max(100)).min(1).max(500);
const Description = SafeText.max(500);

export const AttributeDefinitionInput = z
  .strictObject({
    name: AttributeName,
    type: AttributeType,
    allowedValues: AllowedValues.optional(),
    description: Description.optional(),
  })
  .refine((d) => (d.type === 'enum') === (d.allowedValues !== undefined), { message: 'allowedValues is required for enum attributes and only for them', path: ['allowedValues'] });
export type AttributeDefinitionInput = z.infer<typeof AttributeDefinitionInput>;

export const AttributeDefinitionChanges = z.strictObject({ allowedValues: AllowedValues.optional(), description: Description.optional() });
export type AttributeDefinitionChanges = z.infer<typeof AttributeDefinitionChanges>;

export const AttributeDefinitionParams = z.object({ name: AttributeName });

export const AttributeDefinition = z
  .object({ name: z.string(), type: AttributeType, allowedValues: z.array(z.string()).nullable(), description: z.string().nullable(), version: z.number().int() })
  .meta({ id: 'AttributeDefinition' });
export type AttributeDefinition = z.infer<typeof AttributeDefinition>;
