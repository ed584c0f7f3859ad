import type { SalesDb } from '../db/tables';

/**
 * What lead conversion needs of opportunities: create one for the converted lead in the caller's
 * transaction. The opportunities feature implements it; app.ts wires it into the lead service.
 */
export interface OpportunityCreator {
  createFromLead(
    trx: SalesDb,
    lead: {
      leadId: string;
      customerId: string;
      ownerSubject: string | null;
      dealerId: string | null;
      channel: string;
      name: string;
      productLine: string | null;
      amount: { amount: string; currency: string } | null;
      pipelineId: string | null;
      at: Date;
      by: string;
    },
  ): Promise<{ opportunityId: string }>;
}
