import { createHmac } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

/**
 * The status a stored idempotent response gets once the person it concerned was erased: a replay of
 * the key answers 410 (see `onceForKey`) instead of the stored body, and never redoes the request.
 */
export const ERASED_RESPONSE_STATUS = 410;

/**
 * A keyed digest of an e-mail or phone (trimmed, lower-cased), so that services can find what they keep
 * under a person's contact points when the person is erased without the contact points ever travelling on
 * an event. Keyed with the internal secret every service shares: outside the suite a digest matches nothing.
 */
export function contactDigest(secret: string, contactPoint: string): string {
  return createHmac('sha256', secret).update(`contact:${contactPoint.trim().toLowerCase()}`).digest('base64url');
}

export interface ErasedPlatformRecords {
  idempotentResponses: number;
  deadLetters: number;
  unpublishedEvents: number;
}

/** Rows whose text mentions one of the values (ids are uuids, so a mention is the person's). */
const mentions = (column: string, values: string[]) =>
  sql<boolean>`exists (select 1 from unnest(${values}::text[]) as s(v) where strpos(lower(${sql.ref(column)}::text), lower(s.v)) > 0)`;

/**
 * What every service does with its platform tables when a person is erased (its `crm.customer.erased.v1`
 * handling, or the customers service's erase itself), in the caller's transaction, on a handle narrowed to
 * the service's schema. `subjectIds` are the person's id and the ids merged into it.
 * - idempotency keys whose stored response mentions the person: the response is dropped, the key kept as
 *   "erased" (a replay answers 410 rather than re-creating the person);
 * - dead letters keyed by the person or mentioning it: deleted;
 * - outbox rows keyed by the person not yet published: deleted (consumers get the erasure instead).
 * `identifiers`: the person's e-mail addresses and phone numbers where the caller still knows them (the
 * customers service, before it anonymises): dead letters quoting one are deleted too, whatever their key.
 * Set-based; the tables are kept small by the retention jobs (retention.ts), so the scans stay cheap.
 */
export async function erasePlatformRecords(trx: Kysely<any>, subjectIds: string[], identifiers: string[] = []): Promise<ErasedPlatformRecords> {
  if (subjectIds.length === 0) return { idempotentResponses: 0, deadLetters: 0, unpublishedEvents: 0 };
  const scrubbed = await trx
    .updateTable('idempotency_key')
    .set({ status_code: ERASED_RESPONSE_STATUS, response: null, request_hash: 'erased' })
    .where('response', 'is not', null)
    .where(mentions('response', subjectIds))
    .executeTakeFirst();
  const deadLetters = await trx
    .deleteFrom('dead_letter')
    .where((eb) => eb.or([eb('message_key', 'in', subjectIds), mentions('message_value', [...subjectIds, ...identifiers.filter((v) => v.length >= 6)])]))
    .executeTakeFirst();
  const unpublished = await trx.deleteFrom('outbox').where('key', 'in', subjectIds).executeTakeFirst();
  return {
    idempotentResponses: Number(scrubbed.numUpdatedRows),
    deadLetters: Number(deadLetters.numDeletedRows),
    unpublishedEvents: Number(unpublished.numDeletedRows),
  };
}

/**
 * A validation issue's message without the input in it, for reasons that are stored or logged (ingest
 * jobs keep rejected lines): zod names unrecognised keys, and a key can be anything a sender typed.
 */
export function valueFreeMessage(issue: { code: string; message: string }): string {
  return issue.code === 'unrecognized_keys' ? 'unknown field(s)' : issue.message;
}
