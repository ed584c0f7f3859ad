import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Topics } from '@crm/domain';
import { UPSTREAMS } from '@crm/gateway';

/**
 * A new service is added in several places at once; forgetting one is found here, not in production:
 * its folder, the gateway's routing table, docker compose, the PostgreSQL init script (its schema and
 * role), the lint rule that keeps services from importing each other, and the topic catalogue.
 */
const root = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

// Hosts run services; they are not services themselves.
const HOSTS = new Set(['suite']);
const services = readdirSync(path.join(root, 'services'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !HOSTS.has(entry.name))
  .map((entry) => entry.name);
const dataServices = services.filter((name) => name !== 'gateway');

describe('every service is wired everywhere', () => {
  it('finds the services', () => {
    expect(services).toEqual(expect.arrayContaining(['gateway', 'customers', 'scoring']));
  });

  it.each(dataServices)('%s is routed by the gateway', (service) => {
    expect(UPSTREAMS.map((upstream) => upstream.name)).toContain(service);
  });

  it.each(services)('%s runs in docker compose', (service) => {
    const composeServices = [...read('docker-compose.yml').matchAll(/^ {2}([\w-]+):\s*$/gm)].map((match) => match[1]);
    expect(composeServices).toContain(service);
  });

  it.each(services)('%s has its schema and role in infra/postgres/init.sql', (service) => {
    const declared = /array\[([^\]]*)\]/.exec(read('infra/postgres/init.sql'))?.[1] ?? '';
    expect(declared.split(',').map((name) => name.trim().replace(/'/g, ''))).toContain(service);
  });

  it.each(services)('%s is fenced off by the lint rule against imports between services', (service) => {
    const listed = /const otherServices = \[([^\]]*)\]/.exec(read('eslint.config.mjs'))?.[1] ?? '';
    expect(listed.split(',').map((name) => name.trim().replace(/'/g, ''))).toContain(service);
  });

  it.each(dataServices)('%s has its topic in the catalogue', (service) => {
    expect(Object.values(Topics)).toContain(`crm.${service}`);
  });
});
