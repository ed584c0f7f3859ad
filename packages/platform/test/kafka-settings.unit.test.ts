import { baseConfigSchema, ConfigError, loadConfig } from '../src/config';

describe('topic settings', () => {
  it('default to 3 partitions, replication factor 1 (one development broker) and a week of retention', () => {
    expect(loadConfig(baseConfigSchema, {})).toEqual(expect.objectContaining({ KAFKA_TOPIC_PARTITIONS: 3, KAFKA_REPLICATION_FACTOR: 1, KAFKA_TOPIC_RETENTION_HOURS: 168 }));
  });

  it('read production values from the environment', () => {
    const config = loadConfig(baseConfigSchema, { KAFKA_TOPIC_PARTITIONS: '12', KAFKA_REPLICATION_FACTOR: '3', KAFKA_TOPIC_RETENTION_HOURS: '72' });
    expect(config).toEqual(expect.objectContaining({ KAFKA_TOPIC_PARTITIONS: 12, KAFKA_REPLICATION_FACTOR: 3, KAFKA_TOPIC_RETENTION_HOURS: 72 }));
  });

  it.each([
    ['KAFKA_TOPIC_PARTITIONS', '0'],
    ['KAFKA_TOPIC_PARTITIONS', 'many'],
    ['KAFKA_REPLICATION_FACTOR', '1.5'],
    ['KAFKA_TOPIC_RETENTION_HOURS', '0'],
  ])('refuse %s=%s at start, naming it', (name, value) => {
    expect(() => loadConfig(baseConfigSchema, { [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig(baseConfigSchema, { [name]: value })).toThrow(name);
  });
});
