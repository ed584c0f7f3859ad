import { baseConfigSchema, runMain } from '@crm/platform';
import { salesService } from './index';

runMain('sales', [salesService], baseConfigSchema);
