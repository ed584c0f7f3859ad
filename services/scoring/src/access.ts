import type { AccessRule } from '@crm/platform';

/**
 * Who may call which scoring route, declared on each route (`config: { access }`) and checked by the
 * platform before the body is read. Which rows a dealer sees (its own customers, else 404) is the
 * services' business, not these rules'.
 */
export const access = {
  /** Scores, tiers, transactions, rates, models, reports: every staff role, dealers (their own rows) and integrations. */
  read: { action: 'read scoring data', staff: ['admin', 'sales', 'agent', 'marketing', 'analyst'], dealer: true, integration: true },
  /** Batch jobs and ERP post sales, dealers only their own. */
  ingest: { action: 'ingest transactions', staff: ['admin', 'sales'], dealer: true, integration: true },
  /** Rates, models, runs and the tier set are admin work. */
  administer: { action: 'administer scoring', staff: ['admin'], dealer: false, integration: false },
  /** Manual tiers are a sales decision as much as an admin one; dealers and systems may not set them. */
  overrideTiers: { action: 'override tiers', staff: ['admin', 'sales'], dealer: false, integration: false },
  /** Segments are marketing's: admins and marketers manage them. */
  manageSegments: { action: 'manage segments', staff: ['admin', 'marketing'], dealer: false, integration: false },
  /** Staff and integrations (campaigns) read segments and their members; dealers do not. */
  readSegments: { action: 'read segments', staff: ['admin', 'sales', 'agent', 'marketing', 'analyst'], dealer: false, integration: true },
} as const satisfies Record<string, AccessRule>;
