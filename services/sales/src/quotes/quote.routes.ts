import { etagOf, IdempotencyKeyHeader, IfMatchHeaders, pageOf, problemResponses, sendsHeaders, type AccessRule, type App } from '@crm/platform';
import { z } from 'zod';
import { administer, SALES_READERS, SALES_STAFF } from '../access';
import { Order } from '../orders/order.schemas';
import {
  ApprovalDecisionBody,
  ApprovalPolicyBody,
  ApprovalPolicyView,
  ApprovalRuleView,
  NewApprovalRule,
  NewQuote,
  Quote,
  QuoteListQuery,
  QuoteRevision,
  QuoteVersion,
} from './quote.schemas';
import type { QuoteService } from './quote.service';

/** Reps, managers and dealers quote; an organisation's buyer quotes for it (Dell Premier). */
const makeQuotes: AccessRule = { action: 'create, revise or submit quotes', staff: SALES_STAFF, dealer: true, integration: true, account: ['buyer'] };
const readQuotes: AccessRule = { action: 'read quotes', staff: SALES_READERS, dealer: true, integration: true, account: ['buyer', 'approver', 'viewer'] };
/** Approval steps are roles: which step a caller may decide is checked against the quote's chain. */
const approveQuotes: AccessRule = { action: 'decide on quote approvals', staff: ['sales-manager', 'finance', 'admin'], dealer: false, integration: false, account: ['approver'] };
const sendQuotes: AccessRule = { action: 'send quotes', staff: SALES_STAFF, dealer: true, integration: true };
/** The customer's answer: its own buyer, or the seller recording it. */
const answerQuotes: AccessRule = { action: 'accept or reject quotes', staff: SALES_STAFF, dealer: true, integration: true, account: ['buyer'] };
const orderQuotes: AccessRule = { action: 'place orders', staff: SALES_STAFF, dealer: true, integration: true, account: ['buyer'] };
const readRules: AccessRule = { action: 'read quote approval rules', staff: SALES_READERS, dealer: false, integration: true };
const readPolicy: AccessRule = { action: "read an organisation's approval policy", staff: SALES_READERS, dealer: false, integration: true, account: ['buyer', 'approver', 'viewer'] };
const Params = z.object({ id: z.uuid() });
const tags = ['quotes'];

export function quoteRoutes(app: App, quotes: QuoteService): void {
  app.post(
    '/v1/quotes',
    {
      config: { access: makeQuotes },
      schema: {
        operationId: 'createQuote',
        tags,
        summary: 'Create a draft quote (version 1), priced from the applicable price books',
        description:
          "Each line is priced as `GET /v1/prices` would answer (the customer's negotiated book first), less its discount; then the header discount and the tax, each rounded to the currency. " +
          'An inactive or unknown product is a 422, more decimals than a percentage allows a 400; nothing is written. Idempotency-Key makes a retry return the same quote.',
        headers: z.looseObject({ 'idempotency-key': IdempotencyKeyHeader }),
        body: NewQuote,
        ...sendsHeaders({ 201: ['Location', 'ETag'] }),
        response: { 201: Quote, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const { quote } = await quotes.create(request.principal, request.body, request.headers['idempotency-key']);
      return reply.code(201).header('location', `/v1/quotes/${quote.id}`).header('etag', etagOf(quote.revision)).send(quote);
    },
  );

  app.get(
    '/v1/quotes',
    {
      config: { access: readQuotes },
      schema: {
        operationId: 'listQuotes',
        tags,
        summary: 'Quotes, newest first',
        description: "A rep sees its own and its team's, a dealer its own, an account user its organisation's. `status` filters on the status as of today: `expired` includes quotes whose validUntil has passed.",
        querystring: QuoteListQuery,
        response: { 200: pageOf(Quote), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => quotes.list(request.principal, request.query),
  );

  app.get(
    '/v1/quotes/:id',
    {
      config: { access: readQuotes },
      schema: { operationId: 'getQuote', tags, summary: 'A quote: its current version, approval chain and decisions', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: Quote, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const quote = await quotes.get(request.principal, request.params.id);
      return reply.header('etag', etagOf(quote.revision)).send(quote);
    },
  );

  app.get(
    '/v1/quotes/:id/versions',
    {
      config: { access: readQuotes },
      schema: { operationId: 'listQuoteVersions', tags, summary: 'Every version of a quote, oldest first', params: Params, response: { 200: z.object({ items: z.array(QuoteVersion) }), ...problemResponses(400, 401, 403, 404) } },
    },
    async (request) => ({ items: await quotes.versions(request.principal, request.params.id) }),
  );

  app.put(
    '/v1/quotes/:id',
    {
      config: { access: makeQuotes },
      schema: {
        operationId: 'reviseQuote',
        tags,
        summary: 'Edit a draft or revise a sent, rejected or expired quote: version n+1, back to draft',
        description: 'Re-prices the lines as of today. A quote awaiting approval, approved, accepted or ordered cannot change (409).',
        params: Params,
        headers: IfMatchHeaders,
        body: QuoteRevision,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: Quote, ...problemResponses(400, 401, 403, 404, 409, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const quote = await quotes.revise(request.principal, request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(quote.revision)).send(quote);
    },
  );

  app.post(
    '/v1/quotes/:id/submit',
    {
      config: { access: makeQuotes },
      schema: {
        operationId: 'submitQuote',
        tags,
        summary: 'Submit a draft for approval',
        description:
          'Evaluates the approval rules by position: the first whose conditions all hold gives the chain of roles (recorded with the reason); none: approved at once. ' +
          "When an organisation's buyer submits above the organisation's `accountApprovalAbove`, the organisation's approver is the first step.",
        params: Params,
        response: { 200: Quote, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => quotes.submit(request.principal, request.params.id),
  );

  app.post(
    '/v1/quotes/:id/approvals',
    {
      config: { access: approveQuotes },
      schema: {
        operationId: 'decideQuoteApproval',
        tags,
        summary: 'Approve or reject the step awaiting a decision',
        description:
          "Only the current step's role decides (403 otherwise): `sales-manager`, `finance`, `admin`, or `account:approver` (the organisation's approver). " +
          'The submitter can never decide on its own quote: 422 rule-violation. The last approval approves the quote; a rejection rejects it. Every decision is recorded.',
        params: Params,
        body: ApprovalDecisionBody,
        response: { 200: Quote, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => quotes.decide(request.principal, request.params.id, request.body),
  );

  for (const [action, to, rule, summary] of [
    ['send', 'sent', sendQuotes, 'Send an approved quote to the customer'],
    ['accept', 'accepted', answerQuotes, "Record the customer's acceptance of a sent quote"],
    ['reject', 'rejected', answerQuotes, "Record the customer's rejection of a sent quote (it may then be revised)"],
  ] as const) {
    app.post(
      `/v1/quotes/:id/${action}`,
      {
        config: { access: rule },
        schema: {
          operationId: `${action}Quote`,
          tags,
          summary,
          description: 'Any other state is a 409; a quote whose validUntil has passed is recorded as expired and refused (409).',
          params: Params,
          response: { 200: Quote, ...problemResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => quotes.move(request.principal, request.params.id, to),
    );
  }

  app.post(
    '/v1/quotes/:id/order',
    {
      config: { access: orderQuotes },
      schema: {
        operationId: 'orderQuote',
        tags,
        summary: 'Place the order of an accepted quote',
        description:
          "Copies the quote's priced lines without re-pricing, the header discount spread over them (tax is not part of the order's sales figure). " +
          'Once per quote: a second call is a 409 naming the order. An expired quote is a 409 and nothing is ordered.',
        params: Params,
        ...sendsHeaders({ 201: ['Location'] }),
        response: { 201: Order, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const order = await quotes.order(request.principal, request.params.id);
      return reply.code(201).header('location', `/v1/orders/${order.id}`).send(order);
    },
  );

  app.post(
    '/v1/quote-approval-rules',
    {
      config: { access: administer },
      schema: {
        operationId: 'createQuoteApprovalRule',
        tags: ['quote-approval-rules'],
        summary: 'Add an approval rule',
        description: 'Conditions (all that are set must hold): some line\'s effective discount above a percentage, the total above an amount in the quote\'s currency, some line below its unit cost. The chain lists the roles that approve, in order.',
        body: NewApprovalRule,
        ...sendsHeaders({ 201: ['Location', 'ETag'] }),
        response: { 201: ApprovalRuleView, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const rule = await quotes.createRule(request.body);
      return reply.code(201).header('location', `/v1/quote-approval-rules/${rule.id}`).header('etag', etagOf(rule.version)).send(rule);
    },
  );

  app.get(
    '/v1/quote-approval-rules',
    {
      config: { access: readRules },
      schema: { operationId: 'listQuoteApprovalRules', tags: ['quote-approval-rules'], summary: 'The approval rules in the order they are evaluated', response: { 200: z.object({ items: z.array(ApprovalRuleView) }), ...problemResponses(401, 403) } },
    },
    async () => ({ items: await quotes.rules() }),
  );

  app.get(
    '/v1/quote-approval-rules/:id',
    {
      config: { access: readRules },
      schema: { operationId: 'getQuoteApprovalRule', tags: ['quote-approval-rules'], summary: 'An approval rule', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: ApprovalRuleView, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const rule = await quotes.rule(request.params.id);
      return reply.header('etag', etagOf(rule.version)).send(rule);
    },
  );

  app.put(
    '/v1/quote-approval-rules/:id',
    {
      config: { access: administer },
      schema: {
        operationId: 'replaceQuoteApprovalRule',
        tags: ['quote-approval-rules'],
        summary: 'Replace an approval rule (deactivate it with active: false)',
        description: 'Applies to quotes submitted from now on.',
        params: Params,
        headers: IfMatchHeaders,
        body: NewApprovalRule,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: ApprovalRuleView, ...problemResponses(400, 401, 403, 404, 412, 428) },
      },
    },
    async (request, reply) => {
      const rule = await quotes.replaceRule(request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(rule.version)).send(rule);
    },
  );

  app.put(
    '/v1/customers/:id/sales/approval-policy',
    {
      config: { access: administer },
      schema: {
        operationId: 'putAccountApprovalPolicy',
        tags,
        summary: "Set an organisation's own approval threshold for its buyers' quotes",
        description: "A quote the organisation's buyer submits above `accountApprovalAbove` (same currency) needs the organisation's approver before the staff chain; null switches it off.",
        params: Params,
        body: ApprovalPolicyBody,
        response: { 200: ApprovalPolicyView, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => quotes.putPolicy(request.params.id, request.body),
  );

  app.get(
    '/v1/customers/:id/sales/approval-policy',
    {
      config: { access: readPolicy },
      schema: { operationId: 'getAccountApprovalPolicy', tags, summary: "An organisation's own approval threshold", params: Params, response: { 200: ApprovalPolicyView, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request) => quotes.policy(request.principal, request.params.id),
  );
}
