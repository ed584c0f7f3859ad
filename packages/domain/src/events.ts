import { z } from 'zod';
import { NamespacedExternalId } from './external-id-namespace';
import { ConsentChannel, LifecycleStage, PartyKind, PartyRole } from './values';

/** A CloudEvents 1.0 envelope in structured mode: what goes on the wire as the Kafka message value. */
export const CloudEvent = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  datacontenttype: z.literal('application/json'),
  data: z.unknown(),
});
export type CloudEvent = z.infer<typeof CloudEvent>;

export interface EventDefinition<TType extends string = string, TData extends z.ZodType = z.ZodType> {
  /** CloudEvents `type`, versioned: a breaking payload change is a new type. */
  readonly type: TType;
  readonly topic: string;
  readonly data: TData;
  /** Kafka key and CloudEvents `subject`: the aggregate id, so one aggregate's events stay ordered. */
  readonly key: (data: z.infer<TData>) => string;
}

export function defineEvent<TType extends string, TData extends z.ZodType>(
  definition: EventDefinition<TType, TData>,
): EventDefinition<TType, TData> {
  return Object.freeze(definition);
}

export type EventData<E extends EventDefinition> = z.infer<E['data']>;

export const Topics = {
  customers: 'crm.customers',
  scoring: 'crm.scoring',
  sales: 'crm.sales',
  tickets: 'crm.tickets',
  campaigns: 'crm.campaigns',
} as const;

/**
 * What other services may keep of a customer (event-carried state for their read models). It carries
 * no direct identifier (no name, e-mail, phone or street address): topics retain it, and erasure cannot
 * reach into a log. What stays is pseudonymous (docs/adr/0009-personal-data-in-events.md).
 */
export const CustomerSnapshot = z.object({
  id: z.uuid(),
  kind: PartyKind,
  birthDate: z.iso.date().nullable(),
  lifecycleStage: LifecycleStage,
  roles: z.array(PartyRole),
  dealerId: z.uuid().nullable(),
  city: z.string().nullable(),
  region: z.string().nullable(),
  country: z.string().nullable(),
  /** Each with its namespace (ADR 0008); an id without one is in the shared namespace. */
  externalIds: z.array(NamespacedExternalId),
  consents: z.partialRecord(ConsentChannel, z.boolean()),
  /**
   * The customer's row version when the snapshot was taken (the number in its ETag): it rises with
   * every change, so a read model applies a snapshot only when it is newer than the one it holds.
   * Optional only because events published before it existed lack it; they count as version 0.
   */
  version: z.number().int().nonnegative().optional(),
});
export type CustomerSnapshot = z.infer<typeof CustomerSnapshot>;

export const CustomerEvents = {
  created: defineEvent({
    type: 'crm.customer.created.v1',
    topic: Topics.customers,
    data: z.object({ customer: CustomerSnapshot }),
    key: (data) => data.customer.id,
  }),
  updated: defineEvent({
    type: 'crm.customer.updated.v1',
    topic: Topics.customers,
    data: z.object({ customer: CustomerSnapshot, changedFields: z.array(z.string()).min(1) }),
    key: (data) => data.customer.id,
  }),
  merged: defineEvent({
    type: 'crm.customer.merged.v1',
    topic: Topics.customers,
    // Keyed by the survivor: everything after the merge happens on the survivor's stream.
    data: z.object({ survivorId: z.uuid(), mergedId: z.uuid(), survivor: CustomerSnapshot }),
    key: (data) => data.survivorId,
  }),
  /** Every consumer must drop what it holds on the person (and on its merged-away ids) when it sees this. */
  erased: defineEvent({
    type: 'crm.customer.erased.v1',
    topic: Topics.customers,
    /**
     * `mergedIds`: ids merged into the person earlier, erased with it. `contactDigests`: keyed digests of its
     * e-mails and phones (platform `contactDigest`), for what other services hold under them but never linked.
     */
    data: z.object({ customerId: z.uuid(), mergedIds: z.array(z.uuid()).optional(), contactDigests: z.array(z.string()).optional() }),
    key: (data) => data.customerId,
  }),
  consentChanged: defineEvent({
    type: 'crm.customer.consent.changed.v1',
    topic: Topics.customers,
    data: z.object({
      customerId: z.uuid(),
      channel: ConsentChannel,
      granted: z.boolean(),
      source: z.string(),
      recordedAt: z.iso.datetime({ offset: true }),
    }),
    key: (data) => data.customerId,
  }),
} as const;

export const ScoringEvents = {
  tierChanged: defineEvent({
    type: 'crm.scoring.tier-changed.v1',
    topic: Topics.scoring,
    data: z.object({
      customerId: z.uuid(),
      from: z.string().nullable(),
      to: z.string(),
      /** Why: `rules` (a run re-evaluated the tier rules), `override`, `override-expired`, `grace-period-ended`. */
      reason: z.string(),
    }),
    key: (data) => data.customerId,
  }),
  segmentEntered: defineEvent({
    type: 'crm.scoring.segment-entered.v1',
    topic: Topics.scoring,
    data: z.object({ segmentId: z.uuid(), customerId: z.uuid() }),
    key: (data) => data.customerId,
  }),
  /** The rate one unit of `currency` converts to the base currency at (`amount × rate` = base amount), from now on. */
  exchangeRateSet: defineEvent({
    type: 'crm.scoring.exchange-rate.set.v1',
    topic: Topics.scoring,
    data: z.object({ currency: z.string(), rate: z.string(), baseCurrency: z.string(), version: z.number().int(), setAt: z.iso.datetime({ offset: true }) }),
    key: (data) => data.currency,
  }),
  segmentLeft: defineEvent({
    type: 'crm.scoring.segment-left.v1',
    topic: Topics.scoring,
    data: z.object({ segmentId: z.uuid(), customerId: z.uuid() }),
    key: (data) => data.customerId,
  }),
} as const;
