import type { Logger } from '@crm/platform';
import type { Upstream } from '../proxy/upstreams';
import { OpenApiDocument } from './openapi-document.schemas';
import type { UpstreamDocument } from './openapi.merge';

/** Fetches one service's own document (`GET <base>/openapi.json`). */
export type DocumentLoader = (upstream: Upstream) => Promise<OpenApiDocument>;

export function fetchUpstreamDocument(timeoutMs: number): DocumentLoader {
  return async (upstream) => {
    const url = new URL('openapi.json', upstream.url.endsWith('/') ? upstream.url : `${upstream.url}/`);
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`GET ${url.href} answered ${response.status}`);
    return OpenApiDocument.parse(await response.json());
  };
}

export interface UpstreamDocuments {
  /** Every upstream's document, fetched on first use and again while missing or older than the refresh interval. */
  current(): Promise<UpstreamDocument[]>;
}

interface Slot {
  document?: OpenApiDocument;
  loadedAt?: number;
  loading?: Promise<void>;
}

export function createUpstreamDocuments(options: {
  upstreams: Upstream[];
  load: DocumentLoader;
  logger: Logger;
  now: () => number;
  /** A fetched document is reused this long; a missing one is asked for on every call. */
  refreshMs: number;
}): UpstreamDocuments {
  const { upstreams, load, logger, now, refreshMs } = options;
  const slots = new Map<string, Slot>(upstreams.map((upstream) => [upstream.name, {}]));

  async function refresh(upstream: Upstream, slot: Slot): Promise<void> {
    try {
      slot.document = await load(upstream);
      slot.loadedAt = now();
    } catch (error) {
      // A stale document beats none: keep the last one if there is one.
      logger.warn({ err: error, upstream: upstream.name }, 'upstream OpenAPI document unavailable');
    } finally {
      slot.loading = undefined;
    }
  }

  return {
    async current() {
      return Promise.all(
        upstreams.map(async (upstream) => {
          const slot = slots.get(upstream.name) as Slot;
          const fresh = slot.document !== undefined && slot.loadedAt !== undefined && now() - slot.loadedAt < refreshMs;
          if (!fresh) await (slot.loading ??= refresh(upstream, slot));
          return { name: upstream.name, prefixes: upstream.prefixes, document: slot.document };
        }),
      );
    },
  };
}
