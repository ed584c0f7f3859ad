import { FIELD_CATALOG, type FieldDefinition, type FieldName, type Relation } from './field.catalog';
import { ruleNode, type Rule } from './rule.model';

/**
 * What a rule's outcome depends on, so the service re-evaluates a segment only when it can change:
 *   sources.customer     → customer events (crm.customers: created/updated/merged/erased)
 *   sources.score        → a scoring run that rewrote customer_score (rescoring, tier changes)
 *   sources.transaction  → transactions ingested (only `purchaseCategories`, or any when anyCategory)
 *   timeDependent        → membership also changes with the clock alone (ages, `bought` windows
 *                          sliding): re-evaluate on a schedule, at least daily.
 */
export interface RuleDependencies {
  fields: FieldName[];
  sources: Relation[];
  purchaseCategories: string[];
  anyCategory: boolean;
  /** Tier names the rule compares with: a tier cannot be renamed or removed under it. */
  tiers: string[];
  timeDependent: boolean;
}

/** Dependencies of a validated rule (see parseRule). */
export function ruleDependencies(rule: Rule): RuleDependencies {
  const fields = new Set<FieldName>();
  const categories = new Set<string>();
  const tiers = new Set<string>();
  let anyCategory = false;
  const visit = (current: Rule): void => {
    const node = ruleNode(current);
    switch (node.kind) {
      case 'all':
      case 'any':
        node.rules.forEach(visit);
        return;
      case 'not':
        visit(node.rule);
        return;
      case 'bought':
        if (node.purchase.category === undefined) anyCategory = true;
        else categories.add(node.purchase.category);
        return;
      case 'comparison': {
        const { field, value } = node.comparison;
        if (!Object.hasOwn(FIELD_CATALOG, field)) return;
        fields.add(field as FieldName);
        if (field === 'tier' && value !== undefined) [value].flat().forEach((tier) => tiers.add(String(tier)));
        return;
      }
    }
  };
  visit(rule);

  const sorted = [...fields].sort();
  const definitions: FieldDefinition[] = sorted.map((field) => FIELD_CATALOG[field]);
  const sources = new Set<Relation>(definitions.map((definition) => definition.relation));
  const buys = anyCategory || categories.size > 0;
  if (buys) sources.add('transaction');
  return {
    fields: sorted,
    sources: (['customer', 'score', 'transaction'] as const).filter((source) => sources.has(source)),
    purchaseCategories: [...categories].sort(),
    anyCategory,
    tiers: [...tiers].sort(),
    timeDependent: buys || definitions.some((definition) => 'derive' in definition),
  };
}
