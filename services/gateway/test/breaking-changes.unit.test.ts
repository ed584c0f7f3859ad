import { judgeContractChange } from '../scripts/breaking-changes';

const contract = (version: string, customer: Record<string, unknown>, extraPaths: Record<string, unknown> = {}) => ({
  openapi: '3.1.0',
  info: { title: 'CRM API', version },
  paths: {
    '/v1/customers/{id}': {
      get: {
        operationId: 'getCustomer',
        parameters: [{ in: 'path', name: 'id', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: '#/components/schemas/Customer' } } } } },
      },
    },
    ...extraPaths,
  },
  components: { schemas: { Customer: customer } },
});
const customer = { type: 'object', properties: { id: { type: 'string' }, displayName: { type: 'string' } }, required: ['id', 'displayName'] };
const withoutDisplayName = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
const tiers = { '/v1/tiers': { get: { operationId: 'getTierSet', responses: { '200': { description: 'OK' } } } } };

describe('the breaking-change rule', () => {
  it('fails a breaking change without a major version bump', () => {
    const removedField = judgeContractChange(contract('1.0.0', customer), contract('1.1.0', withoutDisplayName));
    expect(removedField.ok).toBe(false);
    expect(removedField.reason).toMatch(/without a major version bump/);
    expect(removedField.breaking.map((change) => change.path).join('\n')).toMatch(/displayName/);

    const removedOperation = judgeContractChange(contract('1.0.0', customer, tiers), contract('1.0.0', customer));
    expect(removedOperation.ok).toBe(false);
  });

  it('passes the same change with a major version bump', () => {
    const verdict = judgeContractChange(contract('1.4.2', customer), contract('2.0.0', withoutDisplayName));
    expect(verdict.ok).toBe(true);
    expect(verdict.breaking.length).toBeGreaterThan(0);
    expect(verdict.reason).toMatch(/1 → 2/);
  });

  it('passes non-breaking changes without a bump', () => {
    const addedOperation = judgeContractChange(contract('1.0.0', customer), contract('1.0.0', customer, tiers));
    expect(addedOperation).toEqual({ ok: true, reason: 'no breaking change', breaking: [] });
    const addedOptionalField = judgeContractChange(
      contract('1.0.0', customer),
      contract('1.0.0', { ...customer, properties: { ...customer.properties, nickname: { type: 'string' } } }),
    );
    expect(addedOptionalField.ok).toBe(true);
  });
});
