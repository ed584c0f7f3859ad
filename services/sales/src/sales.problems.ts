import { problemType } from '@crm/platform';

/** The sales service's own problem types, next to the platform's `Problems`. */
export const SalesProblems = {
  /** A state change the entity's current state does not allow (a lost opportunity moved on, an expired quote ordered). */
  invalidTransition: problemType('invalid-transition', 409, 'The change is not allowed in the current state'),
  /** A business rule refuses the request as a whole (a price book overlapping another, a booking in the past). */
  ruleViolation: problemType('rule-violation', 422, 'The request breaks a business rule'),
  /** The customers service could not be reached or refused what sales asked of it. */
  customersUnavailable: problemType('customers-unavailable', 502, 'The customers service did not answer'),
  /** Lead conversion needs the opportunities feature, which this deployment does not have wired. */
} as const;
