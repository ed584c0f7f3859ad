import { SafeText } from '@crm/domain';
import { z } from 'zod';

const Subject = SafeText.trim().min(1).max(200).describe('The staff principal\'s subject (as its API client or token names it)');
const ProductLine = SafeText.trim().min(1).max(100);

export const TeamMember = z
  .strictObject({
    subject: Subject,
    role: z.enum(['rep', 'manager']).describe('A manager sees and manages the team\'s rows; a rep its own and its teammates\''),
    capacity: z.number().int().min(1).max(100_000).nullable().default(null).describe('Open leads the rep may hold at once; null: no limit'),
  })
  .meta({ id: 'SalesTeamMember' });

export const NewTeam = z
  .strictObject({
    name: SafeText.trim().min(1).max(200),
    productLines: z.array(ProductLine).max(100).default([]),
    members: z.array(TeamMember).max(1000).default([]),
  })
  .refine((team) => new Set(team.members.map((m) => m.subject)).size === team.members.length, { message: 'each subject may be listed once', path: ['members'] })
  .meta({ id: 'NewSalesTeam' });

export const TeamChanges = z
  .strictObject({
    name: SafeText.trim().min(1).max(200).optional(),
    productLines: z.array(ProductLine).max(100).optional(),
    members: z.array(TeamMember).max(1000).optional(),
  })
  .refine((team) => !team.members || new Set(team.members.map((m) => m.subject)).size === team.members.length, { message: 'each subject may be listed once', path: ['members'] })
  .meta({ id: 'SalesTeamChanges' });

export const Team = z
  .object({
    id: z.uuid(),
    name: z.string(),
    productLines: z.array(z.string()),
    members: z.array(z.object({ subject: z.string(), role: z.enum(['rep', 'manager']), capacity: z.number().int().nullable() })),
    version: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'SalesTeam' });
export type Team = z.infer<typeof Team>;
export type NewTeam = z.infer<typeof NewTeam>;
export type TeamChanges = z.infer<typeof TeamChanges>;
