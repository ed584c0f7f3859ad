/** Where the integration tests find their real services; filled in by the jest global setup. */
export const TEST_ENV = {
  databaseUrl: 'CRM_TEST_DATABASE_URL',
  kafkaBrokers: 'CRM_TEST_KAFKA_BROKERS',
  startedKafka: 'CRM_TEST_STARTED_KAFKA',
} as const;

export function requireTestEnv(name: keyof typeof TEST_ENV): string {
  const value = process.env[TEST_ENV[name]];
  if (!value) {
    throw new Error(`${TEST_ENV[name]} is not set: run integration tests through jest (pnpm test), whose global setup starts PostgreSQL and Kafka`);
  }
  return value;
}
