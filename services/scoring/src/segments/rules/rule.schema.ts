import { z } from 'zod';
import { OPERATORS, RULE_LIMITS, type Rule } from './rule.model';

/**
 * The rule language's shape, for the contract: what a client may send (see rule.model.ts). The
 * routes take rules as they come and `assertRule` checks them (field names, operators per type,
 * tier names, limits), answering 422 with every error path; this schema documents the same language.
 */
const Scalar = z.union([z.string().max(RULE_LIMITS.maxStringLength), z.number(), z.boolean()]);

const Comparison = z
  .strictObject({
    field: z.string().describe('A field of the catalogue (region, age, revenue, tier, consent.email, …)'),
    op: z.enum(OPERATORS),
    value: z
      .union([Scalar, z.array(Scalar).min(1).max(RULE_LIMITS.maxListLength)])
      .optional()
      .describe('A scalar of the field’s type; a list for in/notIn; [lo, hi] for between; absent for isNull/isNotNull'),
  })
  .describe('A comparison on one catalogue field');

const Purchase = z
  .strictObject({
    bought: z.strictObject({
      category: z.string().max(RULE_LIMITS.maxStringLength).optional().describe('Any category when omitted'),
      withinDays: z.number().int().min(1).max(RULE_LIMITS.maxWithinDays),
      minCount: z.number().int().min(1).max(RULE_LIMITS.maxMinCount).optional().describe('1 when omitted'),
    }),
  })
  .describe('At least minCount sales (returns are not purchases) in the category within the last withinDays days');

export const SegmentRule: z.ZodType<Rule> = z
  .union([
    z.strictObject({ get all() { return z.array(SegmentRule).min(1).max(RULE_LIMITS.maxNodes); } }).describe('Every sub-rule holds'),
    z.strictObject({ get any() { return z.array(SegmentRule).min(1).max(RULE_LIMITS.maxNodes); } }).describe('At least one sub-rule holds'),
    z.strictObject({ get not() { return SegmentRule; } }).describe('The exact complement of the sub-rule'),
    Comparison,
    Purchase,
  ])
  .meta({
    id: 'SegmentRule',
    description: `A rule of the segment language: all, any, not, a field comparison or bought; at most ${RULE_LIMITS.maxDepth} levels and ${RULE_LIMITS.maxNodes} nodes`,
  });
