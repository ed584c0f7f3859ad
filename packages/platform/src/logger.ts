import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * One logger per process; services and components take children of it. JSON lines for machines, and
 * human-readable lines (pino-pretty, in process) when a person watches a terminal.
 */
export function createLogger(options: { name: string; level?: string; pretty?: boolean }): Logger {
  const level = options.level ?? 'info';
  const settings = {
    name: options.name,
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers["x-crm-principal-signature"]'], remove: true },
  };
  const human = options.pretty ?? (process.stdout.isTTY === true && level !== 'silent');
  return human ? pino(settings, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })) : pino(settings);
}
