import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Decimal = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, string, string>;

export type LeadRating = 'hot' | 'warm' | 'cold';
export type LeadStatus = 'queued' | 'assigned' | 'accepted' | 'contacted' | 'disqualified' | 'converted';
export type RoutingCause = 'capture' | 'rejection' | 'sla-breach' | 'change';
export const OPEN_LEAD_STATUSES: readonly LeadStatus[] = ['queued', 'assigned', 'accepted', 'contacted'];

export interface LeadTables {
  lead_rating_rule: {
    id: string;
    name: string;
    position: number;
    /** RatingConditions (lead-rating.rules.ts): every condition given must hold. */
    conditions: Json<unknown>;
    rating: LeadRating;
    active: boolean;
    version: Generated<number>;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  lead_assignment_rule: {
    id: string;
    name: string;
    position: number;
    /** RoutingConditions (lead-routing.rules.ts). */
    conditions: Json<unknown>;
    target: 'dealers' | 'team' | 'queue';
    /** In order: the first not yet passed over takes the lead; a rejection or breach moves on to the next. */
    dealer_ids: ColumnType<string[], string[], string[]>;
    team_id: string | null;
    sla_business_hours: Decimal | null;
    reassign_on_breach: boolean;
    active: boolean;
    version: Generated<number>;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  lead: {
    id: string;
    status: LeadStatus;
    channel: string;
    source: string | null;
    campaign_ref: string | null;
    name: string | null;
    /** Normalised (lower case) for dedupe. */
    email: string | null;
    /** E.164. */
    phone: string | null;
    /** Keyed digests of the e-mail and phone (platform `contactDigest`): an erasure finds unlinked leads by them. */
    email_digest: string | null;
    phone_digest: string | null;
    province: string | null;
    city: string | null;
    product_line: string | null;
    model_of_interest: string | null;
    purchase_timeframe: string;
    budget_amount: Decimal | null;
    budget_currency: string | null;
    test_drive_requested: boolean;
    notes: string | null;
    customer_id: string | null;
    rating: LeadRating;
    rating_rule_id: string | null;
    dealer_id: string | null;
    owner_subject: string | null;
    assignment_rule_id: string | null;
    /** Dealers that rejected the lead or let its SLA pass: rerouting skips them. */
    passed_dealer_ids: ColumnType<string[], string[], string[]>;
    assigned_at: Timestamp | null;
    sla_due_at: Timestamp | null;
    sla_breached_at: Timestamp | null;
    accepted_at: Timestamp | null;
    first_contact_at: Timestamp | null;
    closed_at: Timestamp | null;
    disqualify_reason: string | null;
    opportunity_id: string | null;
    captured_by: string;
    created_at: Timestamp;
    updated_at: Timestamp;
    version: Generated<number>;
  };
  lead_touch: {
    id: string;
    lead_id: string;
    channel: string;
    source: string | null;
    campaign_ref: string | null;
    matched_on: 'email' | 'phone' | null;
    notes: string | null;
    at: Timestamp;
    by: string;
  };
  lead_routing: {
    lead_id: string;
    seq: number;
    rule_id: string | null;
    rule_name: string | null;
    reason: string;
    dealer_id: string | null;
    owner_subject: string | null;
    /** Why the lead was (re)placed. */
    cause: RoutingCause;
    at: Timestamp;
    /** What the placed dealer or rep did with it (dealer response reports). */
    accepted_at: Timestamp | null;
    rejected_at: Timestamp | null;
    breached_at: Timestamp | null;
    contacted_at: Timestamp | null;
  };
}
