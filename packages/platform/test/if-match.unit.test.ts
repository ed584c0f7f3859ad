import { IfMatchHeaders } from '../src';

const check = (value: string) => IfMatchHeaders.safeParse({ 'if-match': value });

describe('If-Match header', () => {
  it.each(['"3"', 'W/"3"', '"3", "4"', '*', ' "12" '])('takes the entity tags RFC 9110 allows: %s', (value) => {
    expect(check(value).success).toBe(true);
  });

  it.each(['3', "'3'", '"3', '3"', '"3" 4'])('explains an unquoted or broken tag instead of answering 412: %s', (value) => {
    const result = check(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('quotes included');
  });

  it('stays optional (routes that require it answer 428 themselves)', () => {
    expect(IfMatchHeaders.safeParse({}).success).toBe(true);
  });
});
