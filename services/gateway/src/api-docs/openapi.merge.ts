import { API_SECURITY, API_SECURITY_SCHEMES, API_SERVERS } from '@crm/platform';
import { isUnderPrefix } from '../proxy/upstreams';
import type { OpenApiDocument } from './openapi-document.schemas';

export interface UpstreamDocument {
  name: string;
  /** Only paths the gateway routes to this upstream are published. */
  prefixes: readonly string[];
  /** Undefined when the upstream's document could not be fetched. */
  document: OpenApiDocument | undefined;
}

export interface MergeOptions {
  title: string;
  version: string;
  description?: string;
}

type PathItem = Record<string, unknown>;
const SCHEMA_REF = '#/components/schemas/';

/** JSON with sorted keys: two schemas are the same when this is. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A deep copy of `value` with `$ref`s to renamed schemas pointing at their new names. */
function renameRefs<T>(value: T, renames: ReadonlyMap<string, string>): T {
  if (renames.size === 0) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => renameRefs(item, renames)) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const renamed = key === '$ref' && typeof item === 'string' && item.startsWith(SCHEMA_REF) ? renames.get(item.slice(SCHEMA_REF.length)) : undefined;
    copy[key] = renamed ? `${SCHEMA_REF}${renamed}` : renameRefs(item, renames);
  }
  return copy as T;
}

function schemaRefsIn(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) for (const item of value) schemaRefsIn(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (key === '$ref' && typeof item === 'string' && item.startsWith(SCHEMA_REF)) found.add(item.slice(SCHEMA_REF.length));
      else schemaRefsIn(item, found);
    }
  }
}

/** The schemas the paths reach, directly or through other schemas; the rest is dropped. */
function reachableSchemas(paths: Record<string, PathItem>, schemas: Record<string, unknown>): Record<string, unknown> {
  const reached = new Set<string>();
  schemaRefsIn(paths, reached);
  const pending = [...reached];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const inner = new Set<string>();
    schemaRefsIn(schemas[name], inner);
    for (const ref of inner) {
      if (reached.has(ref)) continue;
      reached.add(ref);
      pending.push(ref);
    }
  }
  return Object.fromEntries([...reached].filter((name) => name in schemas).sort().map((name) => [name, schemas[name]]));
}

const pascal = (name: string) => name.replace(/(^|[^a-zA-Z0-9]+)([a-zA-Z0-9])/g, (_, _sep: string, char: string) => char.toUpperCase());

/**
 * Decides which of an upstream's schemas must be renamed: those whose name is taken by a different
 * schema. Repeats until stable, since renaming one changes the schemas that refer to it.
 */
function renamesFor(service: string, incoming: Record<string, unknown>, existing: Record<string, unknown>): Map<string, string> {
  const renames = new Map<string, string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, schema] of Object.entries(incoming)) {
      if (renames.has(name) || !(name in existing)) continue;
      if (canonical(existing[name]) === canonical(renameRefs(schema, renames))) continue;
      let candidate = `${pascal(service)}${name}`;
      for (let n = 2; candidate in existing || candidate in incoming; n += 1) candidate = `${pascal(service)}${name}${n}`;
      renames.set(name, candidate);
      changed = true;
    }
  }
  return renames;
}

/**
 * One OpenAPI 3.1 document for the suite: the gateway's own paths and every upstream's paths under
 * the prefixes routed to it, their component schemas (equal ones shared, clashing ones renamed
 * `<Service><Name>`), bearer and OAuth 2.0 security, and `x-missing-upstreams` naming the upstreams whose document
 * was not available. On a path both declare, the gateway's (or the earlier upstream's) operation wins.
 */
export function mergeOpenApiDocuments(own: OpenApiDocument, upstreams: UpstreamDocument[], options: MergeOptions): OpenApiDocument {
  const paths: Record<string, PathItem> = { ...own.paths };
  const schemas: Record<string, unknown> = { ...own.components?.schemas };
  const tags = new Map((own.tags ?? []).map((tag) => [tag.name, tag]));
  const missing: string[] = [];

  for (const upstream of upstreams) {
    const { document } = upstream;
    if (!document) {
      missing.push(upstream.name);
      continue;
    }
    const incoming = document.components?.schemas ?? {};
    const renames = renamesFor(upstream.name, incoming, schemas);
    for (const [name, schema] of Object.entries(incoming)) schemas[renames.get(name) ?? name] = renameRefs(schema, renames);
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      if (!isUnderPrefix(path, upstream.prefixes)) continue;
      paths[path] = { ...renameRefs(item, renames), ...paths[path] };
    }
    for (const tag of document.tags ?? []) if (!tags.has(tag.name)) tags.set(tag.name, tag);
  }

  const sortedPaths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version, ...(options.description ? { description: options.description } : {}) },
    servers: API_SERVERS,
    ...(tags.size > 0 ? { tags: [...tags.values()] } : {}),
    paths: sortedPaths,
    components: {
      securitySchemes: API_SECURITY_SCHEMES,
      schemas: reachableSchemas(sortedPaths, schemas),
    },
    security: API_SECURITY,
    'x-missing-upstreams': missing,
  };
}
