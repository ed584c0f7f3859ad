import { runMain } from '@crm/platform';
import { gatewayConfigSchema } from './config';
import { gatewayService } from './index';

runMain('gateway', [gatewayService], gatewayConfigSchema);
