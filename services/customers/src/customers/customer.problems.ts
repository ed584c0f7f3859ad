import { problemType } from '@crm/platform';

export const CustomerProblems = {
  externalIdTaken: problemType('external-id-taken', 409, 'The external id belongs to another customer'),
  duplicateInBatch: problemType('duplicate-in-batch', 422, 'The batch names the same customer twice'),
  customerMerged: problemType('customer-merged', 409, 'The customer was merged into another'),
  customerErased: problemType('customer-erased', 410, 'The customer was erased'),
  mergeIntoSelf: problemType('merge-into-self', 422, 'A customer cannot be merged into itself'),
  unknownDealer: problemType('unknown-dealer', 422, 'The dealer does not exist'),
  invalidCustomer: problemType('invalid-customer', 422, 'The customer data is not valid'),
  notAnOrganization: problemType('not-an-organization', 422, 'Contacts belong to organizations and are persons'),
} as const;
