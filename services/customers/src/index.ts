import type { ServiceDefinition } from '@crm/platform';
import { buildCustomersService } from './app';

export { buildCustomersService } from './app';
export { customersMigrations, CUSTOMERS_SCHEMA } from './db/migrations';

export const customersService: ServiceDefinition = {
  name: 'customers',
  portEnv: 'CUSTOMERS_PORT',
  defaultPort: 8081,
  start: buildCustomersService,
};
