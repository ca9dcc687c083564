/**
 * Compares one evidence record with ground truth (what the harness knows it sent, and what the
 * target answered). Each function returns the list of problems, each naming the field, so the
 * verdict's `why` tells a reviewer exactly what the audit trail got wrong.
 */
import type { ExpectedAttribution } from '../contracts/attempt.ts'
import type { AttackCase } from '../contracts/attack-case.ts'
import { reasonArea, type Decision, type GradingRecord } from '../contracts/evidence.ts'

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v))
const chain = (actors: readonly string[]): string => `[${actors.join(' > ')}]`

function sameActors(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i])
}

/** The decision a faithful record carries for an observed status: 2xx was an allow, anything else a deny. */
export function observedDecision(status: number | null): Decision | null {
  if (status === null) return null
  return status >= 200 && status < 300 ? 'allow' : 'deny'
}

/** Several components may write for one request (gateway, RS): judge the one that agrees with the outcome. */
export function pickRecord<R extends GradingRecord>(records: readonly R[], want: Decision | null): R {
  return (want && records.find((r) => r.decision === want)) || records[0]
}

function decisionProblem(r: GradingRecord, observed: Decision | null): string[] {
  return observed && r.decision !== observed ? [`decision: response was ${observed}, recorded ${r.decision}`] : []
}

function principalProblems(r: GradingRecord, expected: ExpectedAttribution, withType: boolean): string[] {
  const p: string[] = []
  if (r.principal?.sub !== expected.principal.sub) p.push(`principal.sub: expected ${show(expected.principal.sub)}, recorded ${show(r.principal?.sub)}`)
  if (withType && r.principal?.type !== expected.principal.type) p.push(`principal.type: expected ${expected.principal.type}, recorded ${show(r.principal?.type)}`)
  if (!sameActors(r.actors, expected.actors)) p.push(`actors: expected ${chain(expected.actors)}, recorded ${Array.isArray(r.actors) ? chain(r.actors) : 'nothing'}`)
  return p
}

/**
 * Legitimate call: the record must name the principal, its type, the actor chain (current actor
 * first), the tool and the tenant the harness used. `client_id` and `aud` are optional in the record
 * schema, so they are compared only where the record carries them: an absent field is incomplete
 * evidence, a different one is a wrong attribution.
 */
export function legitRecordProblems(r: GradingRecord, expected: ExpectedAttribution, status: number | null): string[] {
  const p = [...decisionProblem(r, observedDecision(status)), ...principalProblems(r, expected, true)]
  if (r.resource?.tool !== expected.tool) p.push(`resource.tool: expected ${show(expected.tool)}, recorded ${show(r.resource?.tool)}`)
  if (r.resource?.tenant !== expected.tenant) p.push(`resource.tenant: expected ${show(expected.tenant)}, recorded ${show(r.resource?.tenant)}`)
  if (r.client_id != null && expected.client_id != null && r.client_id !== expected.client_id) {
    p.push(`client_id: expected ${show(expected.client_id)}, recorded ${show(r.client_id)}`)
  }
  if (r.resource?.aud !== undefined && r.resource.aud !== expected.aud) p.push(`resource.aud: expected ${show(expected.aud)}, recorded ${show(r.resource.aud)}`)
  return p
}

/**
 * Attack: the record must carry the decision the response showed, the reason area the catalog names
 * (targets keep their own rule after the dot), and the case's attribution: to nobody for calls
 * without a credential, else to the token's principal and actor chain. With no status (transport
 * error) the outcome is unknown, so only attribution is checked.
 */
export function attackRecordProblems(r: GradingRecord, c: AttackCase, expected: ExpectedAttribution, status: number | null): string[] {
  const observed = observedDecision(status)
  const p = decisionProblem(r, observed)
  if (observed === 'deny' && r.decision === 'deny' && reasonArea(r.reason) !== c.evidence.area) {
    p.push(`reason area: expected ${c.evidence.area}, recorded ${reasonArea(r.reason)} (${r.reason})`)
  }
  if (c.evidence.attribution === 'anonymous') {
    if (r.principal?.type !== 'anonymous') p.push(`principal.type: expected anonymous, recorded ${show(r.principal?.type)}`)
  } else {
    p.push(...principalProblems(r, expected, false))
  }
  return p
}

/** Detail fields the catalog asks for that the record lacks: reported, never failing (docs/evidence-schema.md: all optional). */
export function missingDetail(r: GradingRecord, fields: readonly string[]): string[] {
  return fields.filter((f) => r.detail?.[f] === undefined)
}
