import type { App } from '@crm/platform';
import type { ScoringRouteContext } from './route-context';

// Placeholder: the routes land with their feature.
export function modelRoutes(_app: App, _context: ScoringRouteContext): void {}
