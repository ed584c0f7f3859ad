import {
  assertPrivateBindWithDevelopmentSecrets,
  baseConfigSchema,
  ConfigError,
  DEV_INTERNAL_SECRET,
  developmentSecretsOf,
  isLoopbackHost,
  loadConfig,
} from '../src/config';

describe('base config', () => {
  it('listens on loopback and has the documented limits by default', () => {
    expect(loadConfig(baseConfigSchema, {})).toMatchObject({
      HOST: '127.0.0.1',
      DB_POOL_SIZE: 10,
      DB_ACQUIRE_TIMEOUT_MS: 10_000,
      DB_STATEMENT_TIMEOUT_MS: 60_000,
      DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: 60_000,
      MAX_EVENT_LOOP_DELAY_MS: 1000,
      MAX_DB_POOL_QUEUE: 100,
      RETRY_AFTER_SECONDS: 5,
      HTTP_MAX_URL_BYTES: 8192,
      HTTP_HEADERS_TIMEOUT_MS: 30_000,
      HTTP_REQUEST_TIMEOUT_MS: 3_600_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 72_000,
    });
  });

  it('reads the limits from the environment; 0 switches off the ones that may be off', () => {
    expect(
      loadConfig(baseConfigSchema, { DB_STATEMENT_TIMEOUT_MS: '0', MAX_EVENT_LOOP_DELAY_MS: '0', MAX_DB_POOL_QUEUE: '0', HTTP_REQUEST_TIMEOUT_MS: '0', DB_POOL_SIZE: '25' }),
    ).toMatchObject({ DB_STATEMENT_TIMEOUT_MS: 0, MAX_EVENT_LOOP_DELAY_MS: 0, MAX_DB_POOL_QUEUE: 0, HTTP_REQUEST_TIMEOUT_MS: 0, DB_POOL_SIZE: 25 });
  });

  it.each([
    ['DB_POOL_SIZE', '0'],
    ['DB_POOL_SIZE', 'ten'],
    ['DB_ACQUIRE_TIMEOUT_MS', '0'],
    ['DB_STATEMENT_TIMEOUT_MS', '-1'],
    ['HTTP_MAX_URL_BYTES', '100'],
    ['HTTP_MAX_URL_BYTES', '65536'],
    ['HTTP_HEADERS_TIMEOUT_MS', '10'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '0'],
    ['RETRY_AFTER_SECONDS', '0'],
    ['HOST', ''],
  ])('refuses %s=%s', (variable, value) => {
    expect(() => loadConfig(baseConfigSchema, { [variable]: value })).toThrow(new RegExp(variable));
  });

  it('refuses a headers timeout longer than the whole-request timeout', () => {
    expect(() => loadConfig(baseConfigSchema, { HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '30000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
  });
});

describe('binding with development secrets', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1'])('takes %s for loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '', '10.0.0.5', '192.168.1.10', 'crm.example.com', '128.0.0.1', '::ffff:10.0.0.1', 'localhost.example.com'])(
    'takes %s for reachable from elsewhere',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );

  it('names the base development secret while it is in use', () => {
    expect(developmentSecretsOf({ CRM_INTERNAL_SECRET: DEV_INTERNAL_SECRET })).toEqual(['CRM_INTERNAL_SECRET']);
    expect(developmentSecretsOf({ CRM_INTERNAL_SECRET: 'a-private-secret-0123456789-0123456789' })).toEqual([]);
  });

  it('refuses a non-loopback bind with any development secret, naming them and the way out', () => {
    const refuse = () => assertPrivateBindWithDevelopmentSecrets('0.0.0.0', ['CRM_INTERNAL_SECRET', 'CRM_ADMIN_API_KEY']);
    expect(refuse).toThrow(ConfigError);
    expect(refuse).toThrow(/HOST=0\.0\.0\.0.*CRM_INTERNAL_SECRET, CRM_ADMIN_API_KEY.*HOST=127\.0\.0\.1/);
  });

  it('allows loopback with development secrets, and any bind without them', () => {
    expect(() => assertPrivateBindWithDevelopmentSecrets('127.0.0.1', ['CRM_INTERNAL_SECRET'])).not.toThrow();
    expect(() => assertPrivateBindWithDevelopmentSecrets('0.0.0.0', [])).not.toThrow();
  });
});
