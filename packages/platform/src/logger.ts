import pino, { type Logger } from 'pino';

export type { Logger };

/** One JSON logger per process; services and components take children of it. */
export function createLogger(options: { name: string; level?: string }): Logger {
  return pino({
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: ['req.headers.authorization', 'req.headers["x-crm-principal-signature"]'], remove: true },
  });
}
