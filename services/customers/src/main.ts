import { baseConfigSchema, runMain } from '@crm/platform';
import { customersService } from './index';

runMain('customers', [customersService], baseConfigSchema);
