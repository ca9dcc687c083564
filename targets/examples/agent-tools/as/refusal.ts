/**
 * Refusals carry this deployment's own reason code (`why`) and the facts a reviewer needs next to
 * oidc-provider's error: the audit middleware reads both; the client sees only `error` and
 * `error_description` (oidc-provider's err_out picks exactly those).
 */
export interface Reasoned {
  why?: string
  facts?: Record<string, unknown>
}

export function refuse<E extends Error>(error: E, why: string, facts: Record<string, unknown> = {}): E & Reasoned {
  return Object.assign(error, { why, facts })
}
