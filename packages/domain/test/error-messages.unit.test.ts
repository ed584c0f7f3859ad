import { z } from 'zod';
import '../src';

const Shape = z.object({ kind: z.enum(['person', 'organization']), name: z.string(), size: z.number().optional() });
const messages = (value: unknown) => Object.fromEntries((Shape.safeParse(value).error?.issues ?? []).map((i) => [i.path.join('.'), i.message]));

describe('validation messages say what to do', () => {
  it('names a missing field "required", whatever its type', () => {
    expect(messages({})).toEqual({ kind: 'required', name: 'required' });
  });

  it('says a null is not allowed, and what is expected instead', () => {
    expect(messages({ kind: 'person', name: null })).toEqual({ name: 'must not be null (expected string)' });
  });

  it('keeps the precise message for a present value of the wrong kind', () => {
    const found = messages({ kind: 'robot', name: 7 });
    expect(found.kind).toContain('person');
    expect(found.name).toContain('expected string');
  });
});
