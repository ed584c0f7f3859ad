import { clientErrorProblem } from '../src/app-limits';
import { databaseProblemOf } from '../src/database';

const parserError = (code: string, rawPacket?: Buffer) => Object.assign(new Error(code), { code, rawPacket });

describe('what the HTTP parser refused, as a problem', () => {
  it('tells an overlong request line (414) from overlong headers (431) by the packet that overflowed', () => {
    const longLine = Buffer.from(`GET /v1/customers?q=${'a'.repeat(20_000)}`);
    const longHeader = Buffer.from(`GET /v1/customers HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}`);
    const lineOverLimitThenHeaders = Buffer.from(`GET /v1/${'a'.repeat(9000)} HTTP/1.1\r\nX-Big: ${'h'.repeat(8000)}`);
    expect(clientErrorProblem(parserError('HPE_HEADER_OVERFLOW', longLine), 8192).problem.status).toBe(414);
    expect(clientErrorProblem(parserError('HPE_HEADER_OVERFLOW', longHeader), 8192).problem.status).toBe(431);
    expect(clientErrorProblem(parserError('HPE_HEADER_OVERFLOW', lineOverLimitThenHeaders), 8192).problem.status).toBe(414);
    // A later packet of a long header (no request line in it) stays 431, as does an overflow without a packet.
    expect(clientErrorProblem(parserError('HPE_HEADER_OVERFLOW', Buffer.from('h'.repeat(20_000))), 8192).problem.status).toBe(431);
    expect(clientErrorProblem(parserError('HPE_HEADER_OVERFLOW'), 8192).problem.status).toBe(431);
  });

  it('answers timeouts with 408 and everything else with 400 malformed-request', () => {
    expect(clientErrorProblem(parserError('ERR_HTTP_REQUEST_TIMEOUT'), 8192).problem.type).toBe('urn:crm:problem:request-timeout');
    for (const code of ['HPE_INVALID_METHOD', 'HPE_INVALID_HEADER_TOKEN', 'HPE_INVALID_CHUNK_SIZE', 'HPE_UNEXPECTED_CONTENT_LENGTH']) {
      const answer = clientErrorProblem(parserError(code), 8192);
      expect({ type: answer.problem.type, status: answer.problem.status, detail: answer.detail }).toEqual({
        type: 'urn:crm:problem:malformed-request',
        status: 400,
        detail: `the request is not valid HTTP/1.1 (${code})`,
      });
    }
  });
});

describe('database failures that are about load, as 503', () => {
  const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it.each([
    ['a statement timeout', pgError('57014', 'canceling statement due to statement timeout'), 'database-timeout'],
    ['an idle-in-transaction timeout', pgError('25P03'), 'database-timeout'],
    ['a pool acquire timeout', new Error('timeout exceeded when trying to connect'), 'overloaded'],
    ['too many connections', pgError('53300'), 'unavailable'],
    ['an administrator shutdown', pgError('57P01'), 'unavailable'],
    ['a refused connection', pgError('ECONNREFUSED'), 'unavailable'],
    ['a lost connection', new Error('Connection terminated unexpectedly'), 'unavailable'],
  ])('maps %s', (_case, error, type) => {
    expect(databaseProblemOf(error)?.problem).toMatchObject({ type: `urn:crm:problem:${type}`, status: 503 });
  });

  it.each([
    ['a unique violation', pgError('23505')],
    ['a syntax error', pgError('42601')],
    ['a plain error', new Error('boom')],
    ['a thrown string', 'boom'],
  ])('leaves %s alone (a 500 or the caller’s own mapping)', (_case, error) => {
    expect(databaseProblemOf(error)).toBeUndefined();
  });
});
