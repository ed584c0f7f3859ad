import { runMain } from '@crm/platform';
import { scoringConfigSchema } from './config';
import { scoringService } from './index';

runMain('scoring', [scoringService], scoringConfigSchema);
