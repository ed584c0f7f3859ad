import { baseConfigSchema, runMain } from '@crm/platform';
import { scoringService } from './index';

runMain('scoring', [scoringService], baseConfigSchema);
