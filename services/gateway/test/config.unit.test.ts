import { baseConfigSchema, ConfigError, loadConfig } from '@crm/platform';
import { DEV_ADMIN_API_KEY, DEV_JWT_SECRET, gatewayConfigOf, gatewayConfigSchema } from '../src/config';
import { resolveUpstreams } from '../src/proxy/upstreams';

const production = {
  NODE_ENV: 'production',
  CRM_INTERNAL_SECRET: 'production-internal-secret-0123456789abcdef',
  CRM_JWT_SECRET: 'production-jwt-secret-0123456789abcdefghij',
  CRM_ADMIN_API_KEY: 'production-admin-key-0123456789',
};

describe('gateway config', () => {
  it('has development defaults outside production', () => {
    const config = loadConfig(gatewayConfigSchema, {});
    expect(config).toMatchObject({
      CRM_JWT_SECRET: DEV_JWT_SECRET,
      CRM_ADMIN_API_KEY: DEV_ADMIN_API_KEY,
      CRM_TOKEN_TTL_SECONDS: 900,
      CUSTOMERS_URL: 'http://127.0.0.1:8081',
    });
    expect(resolveUpstreams(config)).toEqual([
      expect.objectContaining({ name: 'customers', url: 'http://127.0.0.1:8081', prefixes: expect.arrayContaining(['/v1/dealers']) }),
      expect.objectContaining({ name: 'scoring', url: 'http://127.0.0.1:8082', prefixes: expect.arrayContaining(['/v1/transactions']) }),
      expect.objectContaining({ name: 'sales', url: 'http://127.0.0.1:8083', prefixes: expect.arrayContaining(['/v1/leads', '/v1/orders']) }),
    ]);
  });

  it('starts in production with every secret set', () => {
    expect(loadConfig(gatewayConfigSchema, production)).toMatchObject({ CRM_ADMIN_API_KEY: production.CRM_ADMIN_API_KEY });
  });

  it.each([
    ['the admin key unset', { CRM_ADMIN_API_KEY: undefined }, 'CRM_ADMIN_API_KEY'],
    ['a short admin key', { CRM_ADMIN_API_KEY: 'short-admin-key' }, 'CRM_ADMIN_API_KEY'],
    ['the development admin key', { CRM_ADMIN_API_KEY: DEV_ADMIN_API_KEY }, 'CRM_ADMIN_API_KEY'],
    ['the JWT secret unset', { CRM_JWT_SECRET: undefined }, 'CRM_JWT_SECRET'],
    ['the internal secret unset', { CRM_INTERNAL_SECRET: undefined }, 'CRM_INTERNAL_SECRET'],
  ])('refuses production with %s', (_case, change, variable) => {
    expect(() => loadConfig(gatewayConfigSchema, { ...production, ...change })).toThrow(new RegExp(variable));
  });

  it.each([
    ['CRM_TOKEN_TTL_SECONDS', 'soon'],
    ['CRM_TOKEN_TTL_SECONDS', '5'],
    ['CUSTOMERS_URL', 'not a url'],
    ['CUSTOMERS_URL', 'ftp://files'],
    ['CRM_AUTH_CACHE_SECONDS', '3600'],
  ])('refuses %s=%s', (variable, value) => {
    expect(() => loadConfig(gatewayConfigSchema, { [variable]: value })).toThrow(ConfigError);
  });

  it('reads its own settings from the environment when its host loaded only the base config', () => {
    const base = loadConfig(baseConfigSchema, { KAFKA_BROKERS: 'localhost:9092' });
    const config = gatewayConfigOf(base, { CUSTOMERS_URL: 'http://customers:8081', CRM_TOKEN_TTL_SECONDS: '120' });
    expect(config).toMatchObject({ CUSTOMERS_URL: 'http://customers:8081', CRM_TOKEN_TTL_SECONDS: 120, KAFKA_BROKERS: ['localhost:9092'] });
  });

  it('keeps what its host already parsed', () => {
    const loaded = loadConfig(gatewayConfigSchema, { CUSTOMERS_URL: 'http://customers:9000', CRM_TOKEN_TTL_SECONDS: '300' });
    expect(gatewayConfigOf(loaded, {})).toEqual(loaded);
  });
});
