import { z } from 'zod';

/** The parts of an OpenAPI 3.x document the gateway reads; everything else passes through. */
export const OpenApiDocument = z.looseObject({
  openapi: z.string().regex(/^3\./, 'must be OpenAPI 3.x'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  components: z.looseObject({ schemas: z.record(z.string(), z.unknown()).optional() }).optional(),
  tags: z.array(z.looseObject({ name: z.string() })).optional(),
});
export type OpenApiDocument = z.infer<typeof OpenApiDocument>;
