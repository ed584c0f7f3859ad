import { etagOf, IfMatchHeaders, PageQuery, pageOf, problemResponses, sendsHeaders, type AccessRule, type App } from '@crm/platform';
import { z } from 'zod';
import { administer, SALES_READERS } from '../access';
import { Price, PriceBook, PriceBookInput, PriceQuery, Product, ProductInput, ProductListQuery } from './catalog.schemas';
import type { CatalogService } from './catalog.service';

/** Everyone who sells or buys reads the catalogue and prices; account users and dealers within their scope. */
const readCatalog: AccessRule = { action: 'read products and prices', staff: SALES_READERS, dealer: true, integration: true, account: ['buyer', 'approver', 'viewer'] };
const Params = z.object({ id: z.uuid() });

export function catalogRoutes(app: App, catalog: CatalogService): void {
  app.post(
    '/v1/products',
    {
      config: { access: administer },
      schema: { operationId: 'createProduct', tags: ['products'], summary: 'Add a product to the catalogue', body: ProductInput, ...sendsHeaders({ 201: ['Location', 'ETag'] }), response: { 201: Product, ...problemResponses(400, 401, 403, 409) } },
    },
    async (request, reply) => {
      const product = await catalog.createProduct(request.body);
      return reply.code(201).header('location', `/v1/products/${product.id}`).header('etag', etagOf(product.version)).send(product);
    },
  );

  app.get(
    '/v1/products',
    {
      config: { access: readCatalog },
      schema: {
        operationId: 'listProducts',
        tags: ['products'],
        summary: 'The catalogue, by sku',
        description: 'Dealers and account users see active products only.',
        querystring: ProductListQuery,
        response: { 200: pageOf(Product), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => catalog.listProducts(request.principal, request.query),
  );

  app.get(
    '/v1/products/:id',
    { config: { access: readCatalog }, schema: { operationId: 'getProduct', tags: ['products'], summary: 'A product', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: Product, ...problemResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      const product = await catalog.product(request.params.id);
      return reply.header('etag', etagOf(product.version)).send(product);
    },
  );

  app.put(
    '/v1/products/:id',
    {
      config: { access: administer },
      schema: {
        operationId: 'replaceProduct',
        tags: ['products'],
        summary: 'Replace a product (prices, cost, active); its sku stays',
        params: Params,
        headers: IfMatchHeaders,
        body: ProductInput,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: Product, ...problemResponses(400, 401, 403, 404, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const product = await catalog.updateProduct(request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(product.version)).send(product);
    },
  );

  app.post(
    '/v1/price-books',
    {
      config: { access: administer },
      schema: {
        operationId: 'createPriceBook',
        tags: ['prices'],
        summary: 'Create a price book: the standard one, or one negotiated for an organisation customer or a dealer',
        description: 'Validity dates are inclusive. A book whose validity overlaps another of the same kind, target and currency is refused (422, naming the other).',
        body: PriceBookInput,
        ...sendsHeaders({ 201: ['Location'] }),
        response: { 201: PriceBook, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const book = await catalog.createBook(request.body);
      return reply.code(201).header('location', `/v1/price-books/${book.id}`).send(book);
    },
  );

  app.get(
    '/v1/price-books',
    {
      config: { access: readCatalog },
      schema: {
        operationId: 'listPriceBooks',
        tags: ['prices'],
        summary: 'Price books',
        description: "A dealer sees its own books, an account user its organisation's.",
        querystring: PageQuery,
        response: { 200: pageOf(PriceBook), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => catalog.listBooks(request.principal, request.query),
  );

  app.get(
    '/v1/price-books/:id',
    { config: { access: readCatalog }, schema: { operationId: 'getPriceBook', tags: ['prices'], summary: 'A price book with its entries', params: Params, response: { 200: PriceBook, ...problemResponses(400, 401, 403, 404) } } },
    async (request) => catalog.book(request.principal, request.params.id),
  );

  app.get(
    '/v1/prices',
    {
      config: { access: readCatalog },
      schema: {
        operationId: 'getPrice',
        tags: ['prices'],
        summary: 'The unit price that applies to a sale, and why',
        description:
          "A negotiated book of the customer wins over the dealer's book, the standard book and the list price; within a book the highest quantity break reached. " +
          "An account user always gets its organisation's price; a dealer its own (and its own customers').",
        querystring: PriceQuery,
        response: { 200: Price, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => catalog.price(request.principal, request.query),
  );
}
