/** Names of the service's advisory locks (taken with platform's lockForTransaction). */
export const ScoringLocks = {
  clvModel: 'scoring.clv-model',
  run: 'scoring.run',
  tierAssignment: 'scoring.tier-assignment',
  /**
   * Linking a transaction to its customer: ingest holds it shared while it resolves and writes, a
   * customer event exclusively while it projects, links pending rows, re-keys or unlinks. Without it
   * a sale resolved just before its customer's projection commits would stay pending for ever.
   */
  customerLinks: 'scoring.customer-links',
} as const;
