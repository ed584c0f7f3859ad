import { outboxLeaseMigration, platformTablesMigration, type ServiceMigrations } from '@crm/platform';
import { scoringSchema } from './2026-11-23T12-00_scoring';
import { scoresSchema } from './2026-11-23T17-00_scores';
import { scoreModelVersion } from './2026-11-23T18-00_score-model-version';
import { coveringCustomerIndex } from './2026-11-23T19-00_covering-customer-index';
import { ingestJobLastLine } from './2026-11-29T12-00_ingest-job-last-line';
import { externalIdNamespaces } from './2026-11-29T13-00_external-id-namespaces';
import { rescoreQueueAndHeartbeats } from './2026-11-29T15-10_rescore-queue-and-heartbeats';
import { customerAliases } from './2026-11-29T16-00_customer-aliases';

export const SCORING_SCHEMA = 'scoring';

export const scoringMigrations: ServiceMigrations = {
  schema: SCORING_SCHEMA,
  migrations: {
    '2026-11-23T00-00_platform': platformTablesMigration,
    '2026-11-23T12-00_scoring': scoringSchema,
    '2026-11-23T17-00_scores': scoresSchema,
    '2026-11-23T18-00_score-model-version': scoreModelVersion,
    '2026-11-23T19-00_covering-customer-index': coveringCustomerIndex,
    '2026-11-29T12-00_ingest-job-last-line': ingestJobLastLine,
    '2026-11-29T13-00_external-id-namespaces': externalIdNamespaces,
    '2026-11-29T15-00_outbox-lease': outboxLeaseMigration,
    '2026-11-29T15-10_rescore-queue-and-heartbeats': rescoreQueueAndHeartbeats,
    '2026-11-29T16-00_customer-aliases': customerAliases,
  },
};
