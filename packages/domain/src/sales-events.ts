import { SalesActivityEvents } from './sales-activity.events';
import { SalesDealEvents } from './sales-deal.events';
import { SalesLeadEvents } from './sales-lead.events';
import { SalesOpportunityEvents } from './sales-opportunity.events';
import { SalesPipelineEvents } from './sales-pipeline.events';

/** Every event of the sales service, on `crm.sales`. */
export const SalesEvents = { ...SalesLeadEvents, ...SalesDealEvents, ...SalesPipelineEvents, ...SalesOpportunityEvents, ...SalesActivityEvents } as const;
export { SalesActivityEvents, SalesDealEvents, SalesLeadEvents, SalesOpportunityEvents, SalesPipelineEvents };
