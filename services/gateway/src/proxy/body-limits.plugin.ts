import { Transform, type TransformCallback } from 'node:stream';
import { problem, Problems, routedPathOf, sendProblem, type App } from '@crm/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isBulkPath } from '../rate-limits/rate-limit.plugin';

/** The largest request body a proxied route takes, by route class. */
export interface BodyLimits {
  /** Batch routes (`…/batch`): the services' NDJSON stream limit. */
  bulkBytes: number;
  /** Every other proxied route: the services' JSON body limit. */
  otherBytes: number;
}

export const maxBodyBytesOf = (url: string, limits: BodyLimits): number => (isBulkPath(routedPathOf(url)) ? limits.bulkBytes : limits.otherBytes);

const tooLarge = (max: number) => problem(Problems.payloadTooLarge, `the request body is larger than ${max} bytes, the most this route takes`);

/** Counts the bytes of a body on their way upstream and fails the stream once they pass the maximum. */
class BodyByteLimit extends Transform {
  private received = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onExceeded: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received <= this.maxBytes) return callback(null, chunk);
    this.onExceeded();
    callback(tooLarge(this.maxBytes));
  }
}

/** Requests whose body was cut off by the limit: their proxy failure is answered 413, not 502. */
const cutOff = new WeakSet<FastifyRequest>();

/**
 * When the proxy fails because the body passed the limit, the answer is 413 problem+json (if none
 * has started) and the connection closes, so the rest of the body is never read. False otherwise.
 */
export function answeredBodyTooLarge(reply: FastifyReply, limits: BodyLimits): boolean {
  if (!cutOff.has(reply.request)) return false;
  if (!reply.sent) void sendProblem(reply.header('connection', 'close'), tooLarge(maxBodyBytesOf(reply.request.url, limits)), reply.request);
  return true;
}

/**
 * The services' input limits applied on the way in, for the proxied routes of `scope`: a declared
 * Content-Length over the route's maximum is refused with 413 at once, before anything is proxied;
 * a body without one (chunked) is counted while it streams and cut off when it grows past the
 * maximum, which aborts the upstream request.
 */
export function registerBodyLimits(scope: App, limits: BodyLimits): void {
  scope.addHook('onRequest', async (request, reply) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    const max = maxBodyBytesOf(request.url, limits);
    if (declared > max) {
      void reply.header('connection', 'close');
      throw tooLarge(max);
    }
  });
  scope.addHook('preParsing', async (request, _reply, payload) => {
    const limited = new BodyByteLimit(maxBodyBytesOf(request.url, limits), () => {
      cutOff.add(request);
      // Discard what the client still sends until the answer closes the connection: closing a socket
      // with unread bytes resets it, and the client could lose the 413 before reading it.
      payload.unpipe(limited);
      payload.resume();
    });
    return payload.pipe(limited);
  });
}
