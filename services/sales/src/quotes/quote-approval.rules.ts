import { Money$ } from '@crm/domain';
import { effectiveDiscountPercent, netUnitPrice } from './quote.pricing';
import type { ApprovalConditions, QuoteLineRecord } from './quote.tables';

/** Who must approve one step: a staff role, or the organisation's own approver (Dell Premier). */
export const APPROVAL_STEPS = ['sales-manager', 'finance', 'admin', 'account:approver'] as const;
export type ApprovalStep = (typeof APPROVAL_STEPS)[number];

export interface ApprovalRule {
  id: string;
  name: string;
  position: number;
  conditions: ApprovalConditions;
  chain: readonly ApprovalStep[];
}

/** What the rules look at: the current version's figures. */
export interface QuoteFigures {
  currency: string;
  total: string;
  headerDiscountPercent: number;
  lines: readonly Pick<QuoteLineRecord, 'lineNo' | 'sku' | 'unitPrice' | 'discountPercent' | 'unitCost'>[];
}

/** The organisation's own threshold: its buyer's quotes above it need its approver first. */
export interface AccountPolicy {
  above: string;
  currency: string;
}

export interface ApprovalDecision {
  /** The rule that matched, or null (no rule: approved at once, unless the organisation's policy applies). */
  ruleId: string | null;
  /** The steps in order; empty when nothing needs approving. */
  chain: ApprovalStep[];
  /** Which rule (or policy) applied and why, in words. */
  reasons: string[];
}

/** Why a rule's conditions hold for the quote, one reason per condition; undefined when any does not. */
export function ruleMatches(conditions: ApprovalConditions, quote: QuoteFigures): string[] | undefined {
  const reasons: string[] = [];
  let checked = 0;
  if (conditions.discountPercentAbove !== undefined) {
    checked += 1;
    const worst = quote.lines
      .map((line) => ({ line, percent: new Money$(effectiveDiscountPercent(line.discountPercent, quote.headerDiscountPercent)) }))
      .sort((a, b) => b.percent.comparedTo(a.percent))[0];
    if (!worst || !worst.percent.greaterThan(conditions.discountPercentAbove)) return undefined;
    reasons.push(`discount ${worst.percent.toString()}% on line ${worst.line.lineNo} (${worst.line.sku}) is above ${conditions.discountPercentAbove}%`);
  }
  if (conditions.totalAbove !== undefined) {
    checked += 1;
    const threshold = conditions.totalAbove.find((money) => money.currency === quote.currency);
    if (!threshold || !new Money$(quote.total).greaterThan(threshold.amount)) return undefined;
    reasons.push(`total ${quote.total} ${quote.currency} is above ${threshold.amount} ${quote.currency}`);
  }
  if (conditions.belowCost) {
    checked += 1;
    const below = quote.lines.find((line) => line.unitCost !== null && new Money$(netUnitPrice(line.unitPrice, line.discountPercent, quote.headerDiscountPercent)).lessThan(line.unitCost));
    if (!below) return undefined;
    reasons.push(`line ${below.lineNo} (${below.sku}) sells at ${new Money$(netUnitPrice(below.unitPrice, below.discountPercent, quote.headerDiscountPercent)).toDecimalPlaces(4).toString()} below its unit cost ${below.unitCost}`);
  }
  return checked > 0 ? reasons : undefined;
}

/**
 * The approval a submitted quote needs: the first active rule (by position) whose conditions all hold
 * gives the staff chain; when an organisation's buyer submits above the organisation's own threshold,
 * its approver comes first. Nothing matches: no approval needed.
 */
export function approvalFor(quote: QuoteFigures, rules: readonly ApprovalRule[], policy: AccountPolicy | null, byAccountBuyer: boolean): ApprovalDecision {
  const chain: ApprovalStep[] = [];
  const reasons: string[] = [];
  if (byAccountBuyer && policy && policy.currency === quote.currency && new Money$(quote.total).greaterThan(policy.above)) {
    chain.push('account:approver');
    reasons.push(`the organisation's policy: its buyer's quotes above ${policy.above} ${policy.currency} need its approver (total ${quote.total})`);
  }
  for (const rule of [...rules].sort((a, b) => a.position - b.position)) {
    const why = ruleMatches(rule.conditions, quote);
    if (!why) continue;
    chain.push(...rule.chain.filter((step) => !chain.includes(step)));
    reasons.push(`rule "${rule.name}" (position ${rule.position}): ${why.join('; ')}`);
    return { ruleId: rule.id, chain, reasons };
  }
  if (chain.length === 0) reasons.push('no approval rule matches');
  return { ruleId: null, chain, reasons };
}
