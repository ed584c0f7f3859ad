import { NonNegativeMoney, SafeDate, SafeText } from '@crm/domain';
import { PageQuery } from '@crm/platform';
import { z } from 'zod';

export const ExpenseCategory = z.enum(['travel', 'meals', 'lodging', 'mileage', 'entertainment', 'other']);
export const ExpenseClaimStatus = z.enum(['draft', 'submitted', 'approved', 'rejected', 'paid']);

const NewItem = z.strictObject({
  date: SafeDate.describe('When the money was spent (not after today in the sales time zone)'),
  category: ExpenseCategory,
  amount: NonNegativeMoney.refine((money) => !/^0+(\.0+)?$/.test(money.amount), { path: ['amount'], message: 'must be more than zero' }).describe(
    'Exact decimal in the currency; more decimals than it allows are refused',
  ),
  description: SafeText.trim().min(1).max(500),
  receiptRef: SafeText.trim().min(1).max(200).optional().describe("Where the receipt is (a document store's id)"),
});

export const NewExpenseClaim = z.strictObject({ title: SafeText.trim().min(1).max(200), items: z.array(NewItem).min(1).max(200) }).meta({ id: 'NewExpenseClaim' });
export type NewExpenseClaim = z.infer<typeof NewExpenseClaim>;

export const Decision = z.strictObject({ comment: SafeText.trim().min(1).max(1000).optional() }).meta({ id: 'ExpenseClaimApproval' });
export type Decision = z.infer<typeof Decision>;
export const Rejection = z.strictObject({ comment: SafeText.trim().min(1).max(1000).describe('Why: the claimant reads it') }).meta({ id: 'ExpenseClaimRejection' });
export type Rejection = z.infer<typeof Rejection>;

export const ExpenseClaim = z
  .object({
    id: z.uuid(),
    claimantSubject: z.string(),
    title: z.string(),
    status: ExpenseClaimStatus,
    items: z.array(
      z.object({
        lineNo: z.number().int(),
        date: z.string(),
        category: ExpenseCategory,
        amount: z.object({ amount: z.string(), currency: z.string() }),
        description: z.string(),
        receiptRef: z.string().nullable(),
      }),
    ),
    totals: z.array(z.object({ currency: z.string(), amount: z.string() })).describe('Exact sum per currency (amounts in different currencies are never added)'),
    submittedAt: z.iso.datetime().nullable(),
    decidedAt: z.iso.datetime().nullable(),
    decidedBy: z.string().nullable(),
    decisionComment: z.string().nullable(),
    paidAt: z.iso.datetime().nullable(),
    paidBy: z.string().nullable(),
    createdAt: z.iso.datetime(),
    version: z.number().int(),
  })
  .meta({ id: 'ExpenseClaim' });
export type ExpenseClaim = z.infer<typeof ExpenseClaim>;

export const ExpenseClaimListQuery = PageQuery.extend({ status: ExpenseClaimStatus.optional(), claimantSubject: z.string().max(200).optional() });
export type ExpenseClaimListQuery = z.infer<typeof ExpenseClaimListQuery>;
