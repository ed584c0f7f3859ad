import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';

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
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code');

export const Address = z.strictObject({
  kind: z.enum(['billing', 'shipping', 'home', 'work', 'other']).default('other'),
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).optional(),
  city: z.string().trim().min(1).max(100),
  region: z.string().trim().max(100).optional(),
  postalCode: z.string().trim().max(20).optional(),
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
  source: z.string().trim().min(1).max(100),
  recordedAt: z.iso.datetime({ offset: true }),
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
  id: z.string().trim().min(1).max(200),
});
export type ExternalId = z.infer<typeof ExternalId>;
