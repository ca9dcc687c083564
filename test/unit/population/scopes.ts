import { scopeSetOf } from '../../../harness/population/spec.ts'

/** The reference workload's tool scopes (two reads, one write), as the population tests draw from them. */
export const SCOPES = scopeSetOf([
  { scope: 'tickets:read' },
  { scope: 'customers:read' },
  { scope: 'refunds:write', writes: true },
])
