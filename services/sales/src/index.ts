import { defineService } from '@crm/platform';
import { buildSalesService } from './app';
import { salesConfigOf } from './config';

export { buildSalesService } from './app';
export { salesConfigOf, type SalesConfig } from './config';
export { salesMigrations, SALES_SCHEMA } from './db/migrations';

export const salesService = defineService({
  name: 'sales',
  portEnv: 'SALES_PORT',
  defaultPort: 8083,
  configOf: salesConfigOf,
  start: buildSalesService,
});
