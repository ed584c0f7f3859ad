import { problemResponses, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import type { ScoreService } from './scores.service';
import { CustomerParams, CustomerScores } from './scores.schemas';

export function scoreRoutes(app: App, scores: ScoreService): void {
  app.get(
    '/v1/customers/:id/scores',
    {
      config: { access: access.read },
      schema: {
        operationId: 'getCustomerScores',
        tags: ['scores'],
        summary: "A customer's scores: RFM, historical and predicted value, needs, quadrant, tier",
        description: 'A dealer sees only its own customers (others are 404). A merged-away id answers 308 to its survivor.',
        params: CustomerParams,
        response: { 200: CustomerScores, 308: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const answer = await scores.forCustomer(request.principal, request.params.id, request.url);
      return 'moved' in answer ? reply.redirect(answer.moved, 308) : answer.scores;
    },
  );
}
