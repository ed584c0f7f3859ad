import { etagOf, IdempotencyKeyHeader, IfMatchHeaders, pageOf, problemResponses, sendsHeaders, type AccessRule, type App } from '@crm/platform';
import { z } from 'zod';
import { Decision, ExpenseClaim, ExpenseClaimListQuery, NewExpenseClaim, Rejection } from './expense.schemas';
import type { ExpenseService } from './expense.service';

// Dealers, integrations and account users have no expense claims: 403 by these rules.
const claimExpenses: AccessRule = { action: 'claim expenses', staff: ['sales', 'sales-manager'], dealer: false, integration: false };
const readClaims: AccessRule = { action: 'read expense claims', staff: ['admin', 'sales', 'sales-manager', 'finance'], dealer: false, integration: false };
const decideClaims: AccessRule = { action: 'decide expense claims', staff: ['admin', 'sales-manager'], dealer: false, integration: false };
const payClaims: AccessRule = { action: 'pay expense claims', staff: ['finance'], dealer: false, integration: false };
const Params = z.object({ id: z.uuid() });
const tags = ['expense-claims'];
const SCOPE = "A rep sees its own claims, a manager its teams', finance and admin all; any other answers 404.";

export function expenseRoutes(app: App, expenses: ExpenseService): void {
  app.post(
    '/v1/expense-claims',
    {
      config: { access: claimExpenses },
      schema: {
        operationId: 'createExpenseClaim',
        tags,
        summary: 'Draft an expense claim with its items',
        description: 'Amounts are exact decimals in their currency (more decimals than it allows: 400); totals are per currency. An item dated after today is a 422. Idempotency-Key makes a retry return the same claim.',
        headers: z.looseObject({ 'idempotency-key': IdempotencyKeyHeader }),
        body: NewExpenseClaim,
        ...sendsHeaders({ 201: ['Location', 'ETag'] }),
        response: { 201: ExpenseClaim, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const claim = await expenses.create(request.principal, request.body, request.headers['idempotency-key']);
      return reply.code(201).header('location', `/v1/expense-claims/${claim.id}`).header('etag', etagOf(claim.version)).send(claim);
    },
  );

  app.get(
    '/v1/expense-claims',
    { config: { access: readClaims }, schema: { operationId: 'listExpenseClaims', tags, summary: 'Expense claims, newest first', description: SCOPE, querystring: ExpenseClaimListQuery, response: { 200: pageOf(ExpenseClaim), ...problemResponses(400, 401, 403) } } },
    async (request) => expenses.list(request.principal, request.query),
  );

  app.get(
    '/v1/expense-claims/:id',
    { config: { access: readClaims }, schema: { operationId: 'getExpenseClaim', tags, summary: 'An expense claim', description: SCOPE, params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: ExpenseClaim, ...problemResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      const claim = await expenses.get(request.principal, request.params.id);
      return reply.header('etag', etagOf(claim.version)).send(claim);
    },
  );

  app.put(
    '/v1/expense-claims/:id',
    {
      config: { access: claimExpenses },
      schema: {
        operationId: 'replaceExpenseClaim',
        tags,
        summary: "Replace a draft claim's title and items",
        description: 'Only the claimant, only while draft (409 after), with If-Match.',
        params: Params,
        headers: IfMatchHeaders,
        body: NewExpenseClaim,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: ExpenseClaim, ...problemResponses(400, 401, 403, 404, 409, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const claim = await expenses.replace(request.principal, request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(claim.version)).send(claim);
    },
  );

  const responses = { 200: ExpenseClaim, ...problemResponses(400, 401, 403, 404, 409) };
  app.post(
    '/v1/expense-claims/:id/submit',
    { config: { access: claimExpenses }, schema: { operationId: 'submitExpenseClaim', tags, summary: 'Submit a draft claim for approval', description: 'Only the claimant (403); a claim that is not a draft is a 409.', params: Params, response: responses } },
    async (request) => expenses.submit(request.principal, request.params.id),
  );

  app.post(
    '/v1/expense-claims/:id/approve',
    {
      config: { access: decideClaims },
      schema: {
        operationId: 'approveExpenseClaim',
        tags,
        summary: 'Approve a submitted claim',
        description: 'By a sales manager of a team the claimant is in, or admin; never by the claimant (403). Only a submitted claim (409 otherwise).',
        params: Params,
        body: Decision,
        response: responses,
      },
    },
    async (request) => expenses.approve(request.principal, request.params.id, request.body),
  );

  app.post(
    '/v1/expense-claims/:id/reject',
    {
      config: { access: decideClaims },
      schema: { operationId: 'rejectExpenseClaim', tags, summary: 'Reject a submitted claim, saying why', description: 'As for approval; the comment is required.', params: Params, body: Rejection, response: responses },
    },
    async (request) => expenses.reject(request.principal, request.params.id, request.body),
  );

  app.post(
    '/v1/expense-claims/:id/pay',
    { config: { access: payClaims }, schema: { operationId: 'payExpenseClaim', tags, summary: 'Record that an approved claim was paid', description: 'Finance only; only an approved claim (409 otherwise).', params: Params, response: responses } },
    async (request) => expenses.pay(request.principal, request.params.id),
  );
}
