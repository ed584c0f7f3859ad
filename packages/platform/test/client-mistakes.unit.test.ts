import { z } from 'zod';
import { createApp, createLogger, type App } from '../src';

/** What common HTTP clients get wrong, answered with what to do instead. */
let app: App;
const deleted: string[] = [];

beforeAll(async () => {
  app = await createApp({ name: 'client-mistakes-test', logger: createLogger({ name: 'client-mistakes-test', level: 'silent' }) });
  app.post('/v1/things', { config: { public: true }, schema: { body: z.object({ name: z.string() }) } }, async (request) => request.body);
  app.delete('/v1/things/:id', { config: { public: true }, schema: { params: z.object({ id: z.string() }) } }, async (request, reply) => {
    deleted.push(request.params.id);
    return reply.code(204).send();
  });
});
afterAll(() => app.close());

describe('client mistakes', () => {
  it('answers JSON sent as text/plain with 415 naming the media types to send', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/things', headers: { 'content-type': 'text/plain' }, payload: '{"name":"x"}' });
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ type: 'urn:crm:problem:unsupported-media-type', detail: expect.stringContaining('application/json') });
  });

  it('accepts a DELETE that says application/json but sends no body', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/v1/things/a1', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(204);
    expect(deleted).toContain('a1');
  });

  it('still refuses an empty JSON body where one is expected, and JSON that poisons prototypes', async () => {
    const empty = await app.inject({ method: 'POST', url: '/v1/things', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ type: 'urn:crm:problem:malformed-json' });
    const poisoned = await app.inject({ method: 'POST', url: '/v1/things', headers: { 'content-type': 'application/json' }, payload: '{"name":"x","__proto__":{"admin":true}}' });
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.headers['content-type']).toContain('application/problem+json');
  });

  it('still parses ordinary JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/things', payload: { name: 'ok' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name: 'ok' });
  });
});
