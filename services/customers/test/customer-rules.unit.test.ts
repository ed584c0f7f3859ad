import { attributeErrors } from '../src/attribute-definitions/attribute.rules';
import { applyInput, changedFields, fieldsSetBy, survive, survivingFieldTimes, type CustomerState } from '../src/customers/customer.model';

const TODAY = '2026-11-23';

const base = (overrides: Partial<CustomerState> = {}): CustomerState => {
  const applied = applyInput(undefined, { kind: 'person', givenName: 'Wei', familyName: 'Li' }, TODAY);
  if (!applied.ok) throw new Error(applied.message);
  return { ...applied.state, ...overrides };
};

describe('applyInput', () => {
  it('fills defaults for a new customer and derives the display name', () => {
    const state = base();
    expect(state).toEqual(expect.objectContaining({ displayName: 'Wei Li', lifecycleStage: 'prospect', roles: ['prospect'], emails: [] }));
  });

  it('keeps fields the input leaves out and replaces the ones it names', () => {
    const current = base({ emails: ['a@example.com'], attributes: { tier: 'x' } });
    const applied = applyInput(current, { lifecycleStage: 'active', attributes: { shoeSize: 42 } }, TODAY);
    expect(applied.ok && applied.state).toEqual({ ...current, lifecycleStage: 'active', attributes: { tier: 'x', shoeSize: 42 } });
  });

  it('refuses a new customer without kind or name, a kind change and a future birthday', () => {
    expect(applyInput(undefined, { givenName: 'x' }, TODAY)).toEqual({ ok: false, message: expect.stringMatching(/kind/) });
    expect(applyInput(undefined, { kind: 'organization' }, TODAY)).toEqual({ ok: false, message: expect.stringMatching(/organizationName/) });
    expect(applyInput(base(), { kind: 'organization' }, TODAY)).toEqual({ ok: false, message: 'kind cannot change' });
    expect(applyInput(base(), { birthDate: '2026-11-24' }, TODAY)).toEqual({ ok: false, message: 'birthDate is in the future' });
    expect(applyInput(base(), { birthDate: TODAY }, TODAY).ok).toBe(true);
  });

  it('reports exactly the fields that changed', () => {
    expect(changedFields(base(), base({ phones: ['+8613800138000'], lifecycleStage: 'loyal' }))).toEqual(['lifecycleStage', 'phones']);
    expect(changedFields(base(), base())).toEqual([]);
  });
});

describe('merge survivorship', () => {
  const older = '2026-01-01T00:00:00.000Z';
  const newer = '2026-06-01T00:00:00.000Z';

  it('takes the newest non-empty value per field and unites lists', () => {
    const survivor = { state: base({ lifecycleStage: 'active', emails: ['a@x.com'], birthDate: null }), fieldUpdatedAt: { lifecycleStage: older, emails: older } };
    const duplicate = { state: base({ lifecycleStage: 'loyal', emails: ['b@x.com', 'a@x.com'], birthDate: '1990-01-01' }), fieldUpdatedAt: { lifecycleStage: newer } };
    const merged = survive(survivor, duplicate, {});
    expect(merged.lifecycleStage).toBe('loyal');
    expect(merged.birthDate).toBe('1990-01-01');
    expect(merged.emails).toEqual(['a@x.com', 'b@x.com']);
  });

  it('lets the caller choose a side per field', () => {
    const survivor = { state: base({ lifecycleStage: 'active' }), fieldUpdatedAt: { lifecycleStage: older } };
    const duplicate = { state: base({ lifecycleStage: 'loyal' }), fieldUpdatedAt: { lifecycleStage: newer } };
    expect(survive(survivor, duplicate, { lifecycleStage: 'survivor' }).lifecycleStage).toBe('active');
  });

  it('keeps the survivor on a tie and lets a set value win over a default (a field without a time)', () => {
    const survivor = { state: base({ lifecycleStage: 'active', birthDate: '1980-01-01' }), fieldUpdatedAt: { lifecycleStage: older, birthDate: older } };
    const duplicate = { state: base({ lifecycleStage: 'prospect', birthDate: '1990-01-01' }), fieldUpdatedAt: { birthDate: older } };
    expect(survive(survivor, duplicate, {})).toEqual(expect.objectContaining({ lifecycleStage: 'active', birthDate: '1980-01-01' }));
  });

  it('derives the display name again from the merged names, unless it was chosen', () => {
    const survivor = { state: base({ givenName: 'Wei', familyName: 'Li', displayName: 'Wei Li' }), fieldUpdatedAt: { givenName: older, familyName: older, displayName: older } };
    const duplicate = { state: base({ givenName: 'Wai', familyName: null, displayName: 'Wai' }), fieldUpdatedAt: { givenName: newer, familyName: newer, displayName: newer } };
    expect(survive(survivor, duplicate, {})).toEqual(expect.objectContaining({ givenName: 'Wai', familyName: 'Li', displayName: 'Wai Li' }));
    const chosen = { ...duplicate, state: { ...duplicate.state, displayName: 'Mr Wai' } };
    expect(survive(survivor, chosen, {}).displayName).toBe('Mr Wai');
    expect(survive(survivor, duplicate, { displayName: 'duplicate' }).displayName).toBe('Wai');
  });

  it("times a new customer's fields by what the input names, not by the defaults it fills in", () => {
    expect(fieldsSetBy({ kind: 'person', givenName: 'Wei', emails: ['a@x.com'] }, newer)).toEqual({ kind: newer, givenName: newer, displayName: newer, emails: newer });
  });

  it("carries the surviving value's time into the merged record, the later one for combined fields", () => {
    const survivor = { state: base({ lifecycleStage: 'active', birthDate: '1980-01-01', emails: ['a@x.com'] }), fieldUpdatedAt: { lifecycleStage: older, birthDate: newer, emails: older } };
    const duplicate = { state: base({ lifecycleStage: 'loyal', birthDate: '1990-01-01', emails: ['b@x.com'] }), fieldUpdatedAt: { lifecycleStage: newer, birthDate: older, emails: newer } };
    expect(survivingFieldTimes(survivor, duplicate, {})).toEqual({ lifecycleStage: newer, birthDate: newer, emails: newer });
    expect(survivingFieldTimes(survivor, duplicate, { lifecycleStage: 'survivor', emails: 'survivor' })).toEqual({ lifecycleStage: older, birthDate: newer, emails: older });
  });
});

describe('custom attributes', () => {
  const definitions = new Map([
    ['segment', { type: 'enum' as const, allowed_values: ['retail', 'fleet'] }],
    ['shoeSize', { type: 'number' as const, allowed_values: null }],
    ['since', { type: 'date' as const, allowed_values: null }],
  ]);

  it('accepts defined attributes of the right type', () => {
    expect(attributeErrors({ segment: null }, definitions)).toEqual([]);
    expect(attributeErrors({ segment: 'fleet', shoeSize: 42, since: '2020-02-02' }, definitions)).toEqual([]);
  });

  it('names undefined attributes and wrong values', () => {
    expect(attributeErrors({ colour: 'red', segment: 'wholesale', shoeSize: '42', since: 'yesterday' }, definitions)).toEqual([
      'attributes.colour: no such attribute is defined (see /v1/attribute-definitions)',
      'attributes.segment: must be one of retail, fleet',
      'attributes.shoeSize: must be a number',
      'attributes.since: must be a date',
    ]);
  });
});
