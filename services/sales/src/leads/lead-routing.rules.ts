import { SafeText } from '@crm/domain';
import { z } from 'zod';
import type { LeadRating } from './lead.tables';
import { LEAD_CHANNELS } from './lead-rating.rules';

const Word = SafeText.trim().min(1).max(100);

/** Which leads an assignment rule takes; every condition given must hold (none given: every lead — a fallback). */
export const RoutingConditions = z
  .strictObject({
    provinces: z.array(Word).min(1).max(200).optional(),
    cities: z.array(Word).min(1).max(500).optional(),
    productLines: z.array(Word).min(1).max(200).optional(),
    ratings: z.array(z.enum(['hot', 'warm', 'cold'])).min(1).optional(),
    channels: z.array(z.enum(LEAD_CHANNELS)).min(1).optional(),
  })
  .meta({ id: 'LeadRoutingConditions' });
export type RoutingConditions = z.infer<typeof RoutingConditions>;

export interface RoutableLead {
  province: string | null;
  city: string | null;
  productLine: string | null;
  rating: LeadRating;
  channel: string;
  /** Dealers that rejected the lead or let its SLA pass. */
  passedDealerIds: readonly string[];
}

export interface RoutingRule {
  id: string;
  name: string;
  position: number;
  conditions: RoutingConditions;
  target: 'dealers' | 'team' | 'queue';
  dealerIds: readonly string[];
  teamId: string | null;
  teamName: string | null;
  slaBusinessHours: number | null;
  reassignOnBreach: boolean;
}

/** A team's rep and its round-robin state; `turn` orders who goes next (lowest first), advanced in memory. */
export interface RepTurn {
  subject: string;
  capacity: number | null;
  open: number;
  turn: number;
}

export type Placement = { kind: 'dealer'; dealerId: string } | { kind: 'rep'; subject: string; teamId: string } | { kind: 'queue' };

export interface RoutingDecision {
  rule: RoutingRule | null;
  placement: Placement;
  /** Why, in words: which conditions matched and where that put the lead. */
  reason: string;
}

// Case-insensitive; not localeCompare with options, which builds a collator per call (slow in bulk).
const sameText = (a: string, b: string) => a === b || a.toLowerCase() === b.toLowerCase();
const holds = (value: string | null, list: readonly string[] | undefined) => list === undefined || (value !== null && list.some((item) => sameText(item, value)));

/** The matched conditions, as the reason names them: "province Shanghai, rating hot". */
function matchedWhy(conditions: RoutingConditions, lead: RoutableLead): string {
  const parts: string[] = [];
  if (conditions.provinces) parts.push(`province ${lead.province}`);
  if (conditions.cities) parts.push(`city ${lead.city}`);
  if (conditions.productLines) parts.push(`product line ${lead.productLine}`);
  if (conditions.ratings) parts.push(`rating ${lead.rating}`);
  if (conditions.channels) parts.push(`channel ${lead.channel}`);
  return parts.length > 0 ? parts.join(', ') : 'any lead';
}

export function routingRuleMatches(conditions: RoutingConditions, lead: RoutableLead): boolean {
  return (
    holds(lead.province, conditions.provinces) &&
    holds(lead.city, conditions.cities) &&
    holds(lead.productLine, conditions.productLines) &&
    holds(lead.rating, conditions.ratings) &&
    holds(lead.channel, conditions.channels)
  );
}

/** The rep whose turn it is among those under capacity (longest since its last lead first), or undefined. */
function nextRep(reps: RepTurn[] | undefined): RepTurn | undefined {
  let best: RepTurn | undefined;
  for (const rep of reps ?? []) {
    if (rep.capacity !== null && rep.open >= rep.capacity) continue;
    if (!best || rep.turn < best.turn || (rep.turn === best.turn && rep.subject < best.subject)) best = rep;
  }
  return best;
}

/**
 * Places one lead: the first active rule (by position) that matches and can take it decides. A dealers
 * rule gives it to its first dealer not passed over; a team rule to the rep whose round-robin turn it is
 * among those under capacity (advancing `teams` in place, so a batch routes against one in-memory state);
 * a queue rule, or no rule at all, to the fallback queue. A rule that cannot take it (every dealer passed
 * over, every rep at capacity) lets the next rule try.
 */
export function routeLead(lead: RoutableLead, rules: readonly RoutingRule[], teams: Map<string, RepTurn[]>, clock: { next(): number }): RoutingDecision {
  const skipped: string[] = [];
  for (const rule of rules) {
    if (!routingRuleMatches(rule.conditions, lead)) continue;
    const why = matchedWhy(rule.conditions, lead);
    const note = skipped.length > 0 ? ` (${skipped.join('; ')})` : '';
    if (rule.target === 'queue') return { rule, placement: { kind: 'queue' }, reason: `${why} → fallback queue${note}` };
    if (rule.target === 'dealers') {
      const dealerId = rule.dealerIds.find((id) => !lead.passedDealerIds.includes(id));
      if (dealerId) return { rule, placement: { kind: 'dealer', dealerId }, reason: `${why} → dealer ${dealerId}${note}` };
      skipped.push(`rule ${rule.name}: every dealer already passed the lead on`);
      continue;
    }
    const rep = rule.teamId ? nextRep(teams.get(rule.teamId)) : undefined;
    if (rep && rule.teamId) {
      rep.open += 1;
      rep.turn = clock.next();
      const load = rep.capacity === null ? `${rep.open} open` : `${rep.open}/${rep.capacity} open`;
      return { rule, placement: { kind: 'rep', subject: rep.subject, teamId: rule.teamId }, reason: `${why} → team ${rule.teamName ?? rule.teamId}, rep ${rep.subject} by round-robin (${load})${note}` };
    }
    skipped.push(`rule ${rule.name}: every rep of team ${rule.teamName ?? rule.teamId} is at capacity`);
  }
  const note = skipped.length > 0 ? ` (${skipped.join('; ')})` : '';
  return { rule: null, placement: { kind: 'queue' }, reason: `no rule matched → fallback queue${note}` };
}
