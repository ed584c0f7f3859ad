import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const rescoreQueueAndHeartbeats: Migration = {
  /**
   * The durable rescore queue (ingest adds customers in the transaction that writes their sales; a
   * worker drains it after the response), and heartbeats on runs and ingest jobs, so those whose
   * process died are marked `interrupted` instead of staying `running` for ever.
   */
  async up(db: Kysely<any>) {
    await sql`
      create table scoring.rescore_queue (
        customer_id uuid primary key,
        -- a new number on every (re)queueing: the worker deletes a row only if nobody queued it again meanwhile
        ticket bigserial not null,
        queued_at timestamptz not null default now(),
        -- a claimed row is hidden until then (the claim's lease, or the backoff after a failure)
        available_at timestamptz not null default now(),
        attempts integer not null default 0,
        last_error text,
        -- set while a full run covers the row: that run deletes it when it succeeds
        run_id uuid
      )`.execute(db);
    await sql`create index rescore_queue_available on scoring.rescore_queue (available_at) where run_id is null`.execute(db);
    for (const name of ['scoring_run', 'ingest_job']) {
      await sql`alter table ${sql.table(`scoring.${name}`)} add column heartbeat_at timestamptz`.execute(db);
      await sql`alter table ${sql.table(`scoring.${name}`)} drop constraint ${sql.id(`${name}_status_check`)}`.execute(db);
    }
    await sql`alter table scoring.scoring_run add constraint scoring_run_status_check check (status in ('queued', 'running', 'succeeded', 'failed', 'interrupted'))`.execute(db);
    await sql`alter table scoring.ingest_job add constraint ingest_job_status_check check (status in ('running', 'succeeded', 'failed', 'interrupted'))`.execute(db);
    // Every replica looks for abandoned ones every few seconds: only the few active rows are read.
    await sql`create index scoring_run_active on scoring.scoring_run (id) where status in ('queued', 'running')`.execute(db);
    await sql`create index ingest_job_running on scoring.ingest_job (id) where status = 'running'`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`drop index scoring.scoring_run_active`.execute(db);
    await sql`drop index scoring.ingest_job_running`.execute(db);
    await sql`update scoring.scoring_run set status = 'failed' where status = 'interrupted'`.execute(db);
    await sql`update scoring.ingest_job set status = 'failed' where status = 'interrupted'`.execute(db);
    for (const name of ['scoring_run', 'ingest_job']) {
      await sql`alter table ${sql.table(`scoring.${name}`)} drop constraint ${sql.id(`${name}_status_check`)}`.execute(db);
      await sql`alter table ${sql.table(`scoring.${name}`)} drop column heartbeat_at`.execute(db);
    }
    await sql`alter table scoring.scoring_run add constraint scoring_run_status_check check (status in ('queued', 'running', 'succeeded', 'failed'))`.execute(db);
    await sql`alter table scoring.ingest_job add constraint ingest_job_status_check check (status in ('running', 'succeeded', 'failed'))`.execute(db);
    await sql`drop table scoring.rescore_queue`.execute(db);
  },
};
