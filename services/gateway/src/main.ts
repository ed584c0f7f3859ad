import { baseConfigSchema, runMain } from '@crm/platform';
import { gatewayService } from './index';

runMain('gateway', [gatewayService], baseConfigSchema);
