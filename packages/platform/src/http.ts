import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { ERASED_RESPONSE_STATUS } from './personal-data';
import { problem, Problems } from './problems';

// ---- Cursor pagination: `?limit=&cursor=` → `{ items, nextCursor }` -------------------------------

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

/** A yes/no query parameter: exactly `true` or `false` (anything else is a 400, never silently false). */
export const QueryFlag = z.enum(['true', 'false']);

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** Cursors are opaque to clients: base64url JSON of the keyset position, validated on the way back in. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, shape: T): z.infer<T> | undefined {
  if (cursor === undefined) return undefined;
  try {
    return shape.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw problem(Problems.invalidCursor, 'the cursor was not issued by this endpoint; start again without it');
  }
}

/** Given `limit + 1` rows, returns the page and the cursor for what follows it. */
export function paginate<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  positionOf: (row: Row) => unknown,
): { items: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(toItem), nextCursor: rows.length > limit && last ? encodeCursor(positionOf(last)) : null };
}

// ---- Optimistic concurrency: ETag from a row version, If-Match required on updates ---------------

export const etagOf = (version: number): string => `"${version}"`;

/** Entity tags as RFC 9110 writes them: quoted (`"3"`, `W/"3"`), comma-separated, or `*`. */
const ENTITY_TAGS = /^\s*(\*|(W\/)?"[^"]*"(\s*,\s*(W\/)?"[^"]*")*)\s*$/;

/** The `If-Match` request header, for a route's `headers` schema. An unquoted `3` is the common mistake: say so. */
export const IfMatchHeaders = z.object({
  'if-match': z
    .string()
    .max(200)
    .regex(ENTITY_TAGS, 'must be the ETag exactly as it was sent, quotes included (e.g. If-Match: "3"), or *')
    .optional(),
});

/** Whether an `If-Match` header value names the current version (or `*`). */
export function ifMatchHolds(ifMatch: string, currentVersion: number): boolean {
  const tags = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(etagOf(currentVersion));
}

/** 428 when `If-Match` is absent, 412 when it does not name the current version. */
export function requireIfMatch(ifMatch: string | undefined, currentVersion: number): void {
  if (ifMatch === undefined) throw problem(Problems.preconditionRequired, 'send If-Match with the ETag from your last read');
  if (!ifMatchHolds(ifMatch, currentVersion)) throw problem(Problems.preconditionFailed, `the current ETag is ${etagOf(currentVersion)}`);
}

// ---- Idempotency-Key on creating POSTs ------------------------------------------------------------

export const IdempotencyKeyHeader = z.string().min(1).max(200).optional();

export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

export function requestHash(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * Runs `create` at most once per (scope, key). Must be called inside the transaction that does the
 * work: the key row is inserted first, so a concurrent request with the same key waits on it and
 * then replays the stored response. Same key with a different request → 422.
 */
export async function onceForKey(
  trx: Kysely<any>,
  idempotency: { scope: string; key: string | undefined; hash: string },
  create: () => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  const { scope, key, hash } = idempotency;
  if (key === undefined) return { ...(await create()), replayed: false };
  const claimed = await trx
    .insertInto('idempotency_key')
    .values({ scope, key, request_hash: hash })
    .onConflict((oc) => oc.doNothing())
    .returning('key')
    .executeTakeFirst();
  if (!claimed) {
    const stored = await trx
      .selectFrom('idempotency_key')
      .select(['request_hash', 'status_code', 'response'])
      .where('scope', '=', scope)
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    if (stored.status_code === ERASED_RESPONSE_STATUS && stored.response === null) {
      throw problem(Problems.gone, 'what this request created concerned a person who has since been erased');
    }
    if (stored.request_hash !== hash) throw problem(Problems.idempotencyKeyReused);
    return { statusCode: stored.status_code as number, body: stored.response, replayed: true };
  }
  const response = await create();
  await trx
    .updateTable('idempotency_key')
    .set({ status_code: response.statusCode, response: sql`${JSON.stringify(response.body)}::jsonb` })
    .where('scope', '=', scope)
    .where('key', '=', key)
    .execute();
  return { ...response, replayed: false };
}
