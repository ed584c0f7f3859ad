import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import underPressure from '@fastify/under-pressure';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './app';
import type { BaseConfig } from './config';
import type { PoolGauge } from './database';
import { problem, Problems, type ProblemError } from './problems';

/** What a service takes on before it answers 503 or drops a connection; `appLimitsOf` reads them from the settings. */
export interface AppLimits {
  /** Longest request URL (path and query) in bytes → 414. */
  maxUrlBytes: number;
  /** Whole request head within this time (slow-loris guard) → 408 and the connection closed. */
  headersTimeoutMs: number;
  /** Whole request, body included, within this time; 0 = none (bulk NDJSON uploads stream for long). */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** 503 while the event loop lags more than this; 0 = never. */
  maxEventLoopDelayMs: number;
  /** 503 while more queries than this wait for a pooled connection; 0 = never. */
  maxDbPoolQueue: number;
  /** `Retry-After` of every 503. */
  retryAfterSeconds: number;
  /** The process's database pool (the suite's services share one). */
  pool: PoolGauge;
}

export const APP_LIMIT_DEFAULTS: Readonly<AppLimits> = Object.freeze({
  maxUrlBytes: 8192,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 3_600_000,
  keepAliveTimeoutMs: 72_000,
  maxEventLoopDelayMs: 1000,
  maxDbPoolQueue: 100,
  retryAfterSeconds: 5,
  pool: { waiting: () => 0 },
});

export function appLimitsOf(config: BaseConfig, pool: PoolGauge): AppLimits {
  return {
    maxUrlBytes: config.HTTP_MAX_URL_BYTES,
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxEventLoopDelayMs: config.MAX_EVENT_LOOP_DELAY_MS,
    maxDbPoolQueue: config.MAX_DB_POOL_QUEUE,
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    pool,
  };
}

/**
 * Node's HTTP server options for these limits. `headersTimeout` and `requestTimeout` are checked every
 * `connectionsCheckingInterval` (Node's default, 30 s, would let a slow client overstay by that much).
 */
export function serverOptionsOf(limits: AppLimits) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(5000, Math.max(250, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** Probes and scrapes must answer exactly when the service is loaded: never shed. */
const NEVER_SHED = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * Load shedding: 503 overloaded with Retry-After, before any work, while the event loop lags
 * (@fastify/under-pressure samples it) or too many queries wait for a pooled connection.
 */
export async function registerLoadShedding(app: App, limits: AppLimits): Promise<void> {
  const exempt = (request: FastifyRequest) => NEVER_SHED.has(request.routeOptions.url ?? '');
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelayMs,
    retryAfter: limits.retryAfterSeconds,
    pressureHandler: (request, _reply, _type, value) =>
      exempt(request)
        ? undefined
        : Promise.reject(problem(Problems.overloaded, `the event loop lags ${Math.round(Number(value))} ms (limit ${limits.maxEventLoopDelayMs} ms)`)),
  });
  if (limits.maxDbPoolQueue > 0) {
    app.addHook('onRequest', async (request) => {
      const waiting = limits.pool.waiting();
      if (waiting > limits.maxDbPoolQueue && !exempt(request)) {
        throw problem(Problems.overloaded, `${waiting} queries wait for a database connection (limit ${limits.maxDbPoolQueue})`);
      }
    });
  }
}

/** 414 for a URL over the limit; Node's parser already answers 431 for a request head over 16 KiB. */
export function registerUrlLimit(app: App, limits: AppLimits): void {
  app.addHook('onRequest', async (request) => {
    const length = Buffer.byteLength(request.raw.url ?? '');
    if (length > limits.maxUrlBytes) throw problem(Problems.uriTooLong, `the URL has ${length} bytes; the limit is ${limits.maxUrlBytes}`);
  });
}

/** Retry-After on every 503 that does not carry its own: the condition is temporary by definition. */
export function withRetryAfter(reply: FastifyReply, error: ProblemError, limits: AppLimits): void {
  if (error.problem.status === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', String(limits.retryAfterSeconds));
}

const METHOD_TOKEN = /^[A-Z]+ /;

/**
 * The parser counts the request line into the 16 KiB of the request head, so an overlong URL overflows
 * as "headers" too: it is a 414 when the packet that overflowed starts with the request line and that
 * line alone (no line end in sight, or a long one) is over the URL limit.
 */
function requestLineTooLong(rawPacket: unknown, maxUrlBytes: number): boolean {
  if (!Buffer.isBuffer(rawPacket)) return false;
  const head = rawPacket.subarray(0, Math.min(rawPacket.length, maxUrlBytes + 64)).toString('latin1');
  if (!METHOD_TOKEN.test(head)) return false;
  const lineEnd = head.indexOf('\r\n');
  return lineEnd === -1 ? head.length > maxUrlBytes : lineEnd > maxUrlBytes;
}

/** What Node's HTTP parser (or its request timers) refused, as the problem to answer. */
export function clientErrorProblem(error: Error & { code?: string; rawPacket?: unknown }, maxUrlBytes: number): ProblemError {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return problem(Problems.requestTimeout, 'the request was not received in time');
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return requestLineTooLong(error.rawPacket, maxUrlBytes)
      ? problem(Problems.uriTooLong, `the URL is over the limit of ${maxUrlBytes} bytes`)
      : problem(Problems.headersTooLarge, 'the request line and headers are over 16 KiB');
  }
  return problem(Problems.malformedRequest, `the request is not valid HTTP/1.1${error.code ? ` (${error.code})` : ''}`);
}

/**
 * Answers what never reached Fastify (malformed request line or headers, an oversized head, a
 * request timeout) with problem+json written on the socket, then closes the connection, as Node does.
 */
export function clientErrorHandlerOf(limits: AppLimits, log: (details: object, message: string) => void) {
  return (error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const answer = clientErrorProblem(error, limits.maxUrlBytes);
    log({ problem: answer.problem.type, code: error.code }, 'client error');
    const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !response?.headersSent) {
      const body = JSON.stringify(answer.toDocument());
      const { status } = answer.problem;
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
          'Content-Type: application/problem+json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}
