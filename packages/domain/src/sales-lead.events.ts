
/**
 * Leads: capture, routing, first-contact SLA, conversion. No event carries what the lead says about a
 * person (name, e-mail, phone): ids, channel, rating and routing only (ADR 0009).
 */
export const SalesLeadEvents = {} as const;
