import type { Principal } from '@crm/domain';
import type { SalesDb } from '../db/tables';

/** Who a lead or an opportunity belongs to, as the principal may see it. */
export interface VisibleParty {
  customerId: string | null;
  dealerId: string | null;
  ownerSubject: string | null;
}

/**
 * A feature whose rows activities can be logged on (leads, opportunities). `visibleParty` answers null
 * when the row does not exist or is outside the principal's scope (the activity then answers 404).
 */
export interface ActivityTarget {
  visibleParty(trx: SalesDb, principal: Principal, id: string): Promise<VisibleParty | null>;
}

/** Leads also learn when they were first contacted (the first-contact SLA stops there). */
export interface LeadTarget extends ActivityTarget {
  recordFirstContact(trx: SalesDb, leadId: string, at: Date): Promise<void>;
}

export interface ActivityTargets {
  leads?: LeadTarget;
  opportunities?: ActivityTarget;
}

/** Kinds of activity that count as contacting a lead (a task does not). */
export const CONTACT_KINDS: ReadonlySet<string> = new Set(['call', 'meeting', 'visit', 'test_drive', 'email']);
