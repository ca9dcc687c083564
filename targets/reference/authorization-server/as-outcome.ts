/**
 * How the AS's lifecycle and admin endpoints end a request: record first, then answer. A refusal
 * that cannot be recorded becomes a 503 (no record, no action), exactly as at the token endpoint.
 */
import type { ServerResponse } from 'node:http'
import { sendJson } from '../shared/http-io.ts'
import { Refusal } from '../shared/oauth-error.ts'
import type { AsContext } from './as-context.ts'
import { asRecord, type Audit } from './as-evidence.ts'

export function evidenceUnavailable(): Refusal {
  return new Refusal(503, 'temporarily_unavailable', 'system.evidence_unavailable', 'evidence cannot be recorded')
}

/** Appends the record for this outcome; false when the evidence buffer is full. */
export function record(ctx: AsContext, audit: Audit, status: number, reason: string, error?: string): boolean {
  return ctx.writer.append(asRecord(ctx.issuer, audit, status, reason, error))
}

/** Any error as a refusal: unexpected ones become a logged 500. */
export function asRefusal(e: unknown, where: string): Refusal {
  if (e instanceof Refusal) return e
  process.stderr.write(`as: ${where} failed: ${e instanceof Error ? e.stack : String(e)}\n`)
  return new Refusal(500, 'server_error', 'system.internal_error', 'internal error')
}

/** Records the refusal (with its detail) and sends `{error, error_description}`. */
export function refuse(ctx: AsContext, res: ServerResponse, audit: Audit, r: Refusal, headers?: Record<string, string>): void {
  Object.assign(audit.detail, r.detail)
  const recorded = r.reason === 'system.evidence_unavailable' || record(ctx, audit, r.status, r.reason, r.error)
  if (!recorded) return sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'evidence cannot be recorded', reason: 'system.evidence_unavailable' })
  sendJson(res, r.status, { error: r.error, error_description: r.message }, headers)
}

/** 503 after a lifecycle change that some replica has not taken yet (it is retried in the background). */
export function propagationIncomplete(failed: readonly string[], replicas: number): Refusal {
  return new Refusal(503, 'temporarily_unavailable', 'system.propagation_incomplete', 'recorded, but not yet taken by every resource-server replica; retrying in the background', {
    replicas,
    replicas_failed: failed.length,
  })
}
