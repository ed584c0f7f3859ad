import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';

/**
 * A NUL character or a UTF-16 surrogate without its pair: PostgreSQL refuses the first in text and
 * jsonb and the second in jsonb (and a driver silently turns it into U+FFFD in text).
 */
const NUL = '\u0000';
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** True when PostgreSQL can store the text as it is (in text and in jsonb). */
export const isStorableText = (text: string): boolean => !text.includes(NUL) && !LONE_SURROGATE.test(text);

/** The text with what PostgreSQL refuses replaced by U+FFFD: for messages we store, never for input. */
export const toStorableText = (text: string): string =>
  isStorableText(text) ? text : text.replaceAll(NUL, '\ufffd').replace(LONE_SURROGATES, '\ufffd');

/**
 * Every free-text input starts here (`SafeText.trim().max(200)`, …), so no value PostgreSQL refuses
 * reaches a statement and fails a whole batch: the item is refused with its field named instead.
 */
export const SafeText = z.string().refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);

interface JsonStep {
  value: unknown;
  key?: string | number;
  parent?: JsonStep;
}

function pathOf(step: JsonStep | undefined, last?: string): (string | number)[] {
  const reversed: (string | number)[] = last === undefined ? [] : [last];
  for (let at = step; at?.key !== undefined; at = at.parent) reversed.push(at.key);
  return reversed.reverse();
}

/**
 * The path of the first key or string in a JSON value that PostgreSQL cannot store, if any. Walks with
 * its own stack, not recursion: a body nested a million levels deep is an answer, not a stack overflow.
 */
export function unstorableJsonPath(value: unknown): (string | number)[] | undefined {
  const stack: JsonStep[] = [{ value }];
  for (let step = stack.pop(); step; step = stack.pop()) {
    const current = step.value;
    if (typeof current === 'string') {
      if (!isStorableText(current)) return pathOf(step);
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index -= 1) stack.push({ value: current[index] as unknown, key: index, parent: step });
    } else if (current !== null && typeof current === 'object') {
      const entries = Object.entries(current);
      for (const [key] of entries) if (!isStorableText(key)) return pathOf(step, key);
      for (let index = entries.length - 1; index >= 0; index -= 1) stack.push({ value: entries[index]![1], key: entries[index]![0], parent: step });
    }
  }
  return undefined;
}

/** Any JSON (rules, documents) that goes into a jsonb column: every key and string must be storable. */
export const SafeJson = z.unknown().superRefine((value, ctx) => {
  const path = unstorableJsonPath(value);
  if (path) ctx.addIssue({ code: 'custom', path, message: UNSTORABLE_TEXT_MESSAGE });
});

const DATE_RANGE_MESSAGE = 'must be a date YYYY-MM-DD from 0001-01-01 to 9999-12-31';
const DATETIME_RANGE_MESSAGE = 'must be an ISO 8601 date-time with an offset, from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z';
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/** A calendar date PostgreSQL and JavaScript both hold: years 0001 to 9999 (year 0 does not exist). */
export const SafeDate = z.iso.date({ error: DATE_RANGE_MESSAGE }).refine((date) => !date.startsWith('0000'), DATE_RANGE_MESSAGE);

/** An instant with an offset whose year, as written and in UTC, lies in 0001–9999. */
export const SafeDateTime = z.iso
  .datetime({ offset: true, error: DATETIME_RANGE_MESSAGE })
  .refine((text) => {
    const at = Date.parse(text);
    return !text.startsWith('0000') && at >= EARLIEST && at <= LATEST;
  }, DATETIME_RANGE_MESSAGE);

/** Our own ids are UUIDs (v7, time-ordered); external systems keep theirs as ExternalId. */
export const Id = z.uuid();
export type Id = z.infer<typeof Id>;

/** Trimmed, lower-cased e-mail address: the form duplicates are matched on. */
export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'must be an e-mail address' }))
  .transform((email) => email.toLowerCase());
export type Email = z.infer<typeof Email>;

/** Normalises a phone number to E.164; returns undefined when it is not a valid number. */
export function toE164(input: string, defaultCountry?: string): string | undefined {
  const parsed = parsePhoneNumberFromString(input, defaultCountry as Parameters<typeof parsePhoneNumberFromString>[1]);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** A phone number in E.164 (`+8613800138000`); other notations with a leading `+` are normalised. */
export const Phone = z.string().trim().max(32).transform((input, ctx) => {
  const e164 = toE164(input);
  if (!e164) {
    ctx.addIssue({ code: 'custom', message: 'must be a valid phone number in international form, e.g. +8613800138000' });
    return z.NEVER;
  }
  return e164;
});
export type Phone = z.infer<typeof Phone>;

export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code');
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in capitals, e.g. CNY or USD');

export const Address = z.strictObject({
  kind: z.enum(['billing', 'shipping', 'home', 'work', 'other']).default('other'),
  line1: SafeText.trim().min(1).max(200),
  line2: SafeText.trim().max(200).optional(),
  city: SafeText.trim().min(1).max(100),
  region: SafeText.trim().max(100).optional(),
  postalCode: SafeText.trim().max(20).optional(),
  country: CountryCode,
});
export type Address = z.infer<typeof Address>;

/** Money never travels as a float: a decimal string with at most 4 fraction digits plus a currency. */
export const Money = z.strictObject({
  amount: z.string().regex(/^-?\d{1,15}(\.\d{1,4})?$/, 'must be a decimal string like "123.45"'),
  currency: CurrencyCode,
});
export type Money = z.infer<typeof Money>;

export const ConsentChannel = z.enum(['phone', 'sms', 'email', 'mail']);
export type ConsentChannel = z.infer<typeof ConsentChannel>;

export const Consent = z.strictObject({
  channel: ConsentChannel,
  granted: z.boolean(),
  source: SafeText.trim().min(1).max(100),
  recordedAt: SafeDateTime,
});
export type Consent = z.infer<typeof Consent>;

export const PartyKind = z.enum(['person', 'organization']);
export type PartyKind = z.infer<typeof PartyKind>;

export const PartyRole = z.enum(['prospect', 'customer', 'dealer', 'supplier']);
export type PartyRole = z.infer<typeof PartyRole>;

export const LifecycleStage = z.enum(['prospect', 'new', 'active', 'loyal', 'at_risk', 'churned']);
export type LifecycleStage = z.infer<typeof LifecycleStage>;

/** A contact's role in an organisation's buying process. */
export const BuyingRole = z.enum(['decision_maker', 'influencer', 'purchaser', 'user', 'approver']);
export type BuyingRole = z.infer<typeof BuyingRole>;

/** `system` names the source (erp, dealer-portal, webshop); `id` is that system's key. */
export const ExternalId = z.strictObject({
  system: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{0,49}$/, 'must be 1-50 lower-case letters, digits, ".", "_" or "-"'),
  id: SafeText.trim().min(1).max(200),
});
export type ExternalId = z.infer<typeof ExternalId>;
