import type { Principal } from '@crm/domain';
import { z } from 'zod';
import { createApp, createLogger, signPrincipal, type AccessRule, type App } from '../src';

/** Access is declared on the route and checked by createApp's one hook, before the body is read. */
const secret = 'route-access-test-secret-0123456789-0123456789';
const adminsOnly: AccessRule = { action: 'manage widgets', staff: ['admin'], dealer: false, integration: false };
const admin: Principal = { kind: 'staff', subject: 'ada', roles: ['admin'] };
const analyst: Principal = { kind: 'staff', subject: 'ann', roles: ['analyst'] };
const dealer: Principal = { kind: 'dealer', subject: 'd-1', dealerId: '00000000-0000-4000-8000-000000000001' };

const logger = createLogger({ name: 'route-access-test', level: 'silent' });
let app: App;
const handled: unknown[] = [];

beforeAll(async () => {
  app = await createApp({ name: 'route-access-test', logger, principalSecret: secret });
  app.post('/v1/widgets', { config: { access: adminsOnly }, schema: { body: z.object({ name: z.string() }) } }, async (request) => {
    handled.push(request.body);
    return { created: true };
  });
});
afterAll(() => app.close());

const post = (principal: Principal, payload: string) =>
  app.inject({ method: 'POST', url: '/v1/widgets', headers: { 'content-type': 'application/json', ...signPrincipal(principal, secret, { method: 'POST', url: '/v1/widgets' }) }, payload });

describe('route access', () => {
  it('lets a principal the rule names through', async () => {
    const res = await post(admin, '{"name":"w"}');
    expect(res.statusCode).toBe(200);
    expect(handled).toContainEqual({ name: 'w' });
  });

  it('refuses other roles and kinds with 403 naming the action, before the body is parsed', async () => {
    for (const principal of [analyst, dealer]) {
      // Malformed JSON: had the body been read first, the answer would be 400.
      const res = await post(principal, '{not json');
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ type: 'urn:crm:problem:forbidden', detail: `a ${principal.kind} principal may not manage widgets here` });
    }
    expect(handled).toHaveLength(1);
  });

  it('fails the start of an app with a route that declares neither access nor public', async () => {
    const careless = await createApp({ name: 'careless', logger, principalSecret: secret });
    careless.get('/v1/open-by-mistake', async () => ({ secret: true }));
    await expect(careless.ready()).rejects.toThrow('GET /v1/open-by-mistake');
    await careless.close().catch(() => undefined);
  });
});
