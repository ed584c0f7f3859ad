import { z } from 'zod';
import { defineEvent, Topics } from './events';

const Money = z.object({ amount: z.string(), currency: z.string() });

/**
 * Pipelines, opportunities, quotas and forecast snapshots. Ids and codes only: no free text about people
 * (a lost deal's reason stays in sales; the competitor is a code-like name of a company).
 */
export const SalesOpportunityEvents = {
  pipelineChanged: defineEvent({
    type: 'crm.sales.pipeline.changed.v1',
    topic: Topics.sales,
    data: z.object({
      pipelineId: z.uuid(),
      channel: z.string(),
      isDefault: z.boolean(),
      /** The stage keys in order, the won and lost ones last. */
      stages: z.array(z.string()),
      version: z.number().int(),
      changedAt: z.iso.datetime({ offset: true }),
    }),
    key: (data) => data.pipelineId,
  }),
  opportunityCreated: defineEvent({
    type: 'crm.sales.opportunity.created.v1',
    topic: Topics.sales,
    data: z.object({
      opportunityId: z.uuid(),
      customerId: z.uuid(),
      pipelineId: z.uuid(),
      stage: z.string(),
      ownerSubject: z.string().nullable(),
      dealerId: z.uuid().nullable(),
      productLine: z.string().nullable(),
      amount: Money.nullable(),
      leadId: z.uuid().nullable(),
      createdAt: z.iso.datetime({ offset: true }),
    }),
    key: (data) => data.customerId,
  }),
  /** PATCH: which fields changed (by name) and the figures forecasts and commissions read. */
  opportunityChanged: defineEvent({
    type: 'crm.sales.opportunity.changed.v1',
    topic: Topics.sales,
    data: z.object({
      opportunityId: z.uuid(),
      customerId: z.uuid(),
      changed: z.array(z.string()),
      ownerSubject: z.string().nullable(),
      dealerId: z.uuid().nullable(),
      productLine: z.string().nullable(),
      amount: Money.nullable(),
      expectedCloseDate: z.iso.date(),
      version: z.number().int(),
      changedAt: z.iso.datetime({ offset: true }),
    }),
    key: (data) => data.customerId,
  }),
  opportunityStageChanged: defineEvent({
    type: 'crm.sales.opportunity.stage-changed.v1',
    topic: Topics.sales,
    data: z.object({
      opportunityId: z.uuid(),
      customerId: z.uuid(),
      from: z.string(),
      to: z.string(),
      probability: z.number().int(),
      forecastCategory: z.string(),
      changedBy: z.string(),
      changedAt: z.iso.datetime({ offset: true }),
    }),
    key: (data) => data.customerId,
  }),
  opportunityWon: defineEvent({
    type: 'crm.sales.opportunity.won.v1',
    topic: Topics.sales,
    data: z.object({
      opportunityId: z.uuid(),
      customerId: z.uuid(),
      ownerSubject: z.string().nullable(),
      dealerId: z.uuid().nullable(),
      productLine: z.string().nullable(),
      amount: Money.nullable(),
      /** Converted at the rate known when won; null when none was. */
      amountInBase: Money.nullable(),
      competitor: z.string().nullable(),
      wonAt: z.iso.datetime({ offset: true }),
    }),
    key: (data) => data.customerId,
  }),
  opportunityLost: defineEvent({
    type: 'crm.sales.opportunity.lost.v1',
    topic: Topics.sales,
    data: z.object({
      opportunityId: z.uuid(),
      customerId: z.uuid(),
      ownerSubject: z.string().nullable(),
      dealerId: z.uuid().nullable(),
      fromStage: z.string(),
      competitor: z.string().nullable(),
      lostAt: z.iso.datetime({ offset: true }),
    }),
    key: (data) => data.customerId,
  }),
  quotaSet: defineEvent({
    type: 'crm.sales.quota.set.v1',
    topic: Topics.sales,
    data: z.object({
      quotaId: z.uuid(),
      period: z.string(),
      dimension: z.enum(['owner', 'team', 'dealer', 'productLine']),
      target: z.string(),
      amount: Money,
      version: z.number().int(),
      setAt: z.iso.datetime({ offset: true }),
    }),
    key: (data) => `${data.period}:${data.dimension}:${data.target}`,
  }),
  forecastSnapshotTaken: defineEvent({
    type: 'crm.sales.forecast.snapshot-taken.v1',
    topic: Topics.sales,
    data: z.object({
      snapshotId: z.uuid(),
      period: z.string(),
      /** `manual` (POST /v1/forecasts/snapshots) or `weekly` (Monday 00:00 in the sales time zone). */
      kind: z.enum(['manual', 'weekly']),
      asOf: z.iso.date(),
      takenAt: z.iso.datetime({ offset: true }),
    }),
    key: (data) => data.period,
  }),
} as const;
