import type { SalesDb } from '../db/tables';
import type { LeadForOpportunity } from '../opportunities/opportunity.service';

/**
 * What lead conversion needs of opportunities: create one for the converted lead in the caller's
 * transaction (the opportunities service does; app.ts hands it to the lead service).
 */
export interface OpportunityCreator {
  createFromLead(trx: SalesDb, lead: LeadForOpportunity): Promise<{ opportunityId: string }>;
}
