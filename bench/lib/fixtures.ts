/**
 * What the bench's gatecrash client sends: the harness's own hot path. One attempt is exactly what a
 * legitimate workflow read costs in a run: `expectedFor` + `sendAttempt` (trace context, a fresh
 * hand-assembled ES256 DPoP proof with the identity's pre-encoded header and precomputed `ath`,
 * an undici Pool request, the response read and parsed, an AttemptRecord built).
 */
import type { AttemptRecord } from '../../harness/attempt.ts'
import { epochNow } from '../../harness/load/clock.ts'
import type { HttpPools } from '../../harness/load/http-pool.ts'
import { expectedFor, type RunIdentity } from '../../harness/load/identity.ts'
import { sendAttempt, sendRequest, toolPath } from '../../harness/load/send-attempt.ts'
import { generateIdentityKey } from '../../harness/protocol/identity-key.ts'
import { encodeSegment } from '../../harness/protocol/jws.ts'
import { randomB64url } from '../../harness/protocol/random-id.ts'
import { tokenHash } from '../../harness/protocol/token-hash.ts'
import type { ResourceServerInfo, ToolSpec } from '../../harness/target/types.ts'
import { createDpopProofFast } from './proposed-jws.ts'

/** The read tool the reference workload uses most (same shape as the reference target's). */
export const TICKET_READ: ToolSpec = { name: 'ticket.read', method: 'GET', path: '/t/{tenant}/tickets/{id}', scope: 'tickets:read', writes: false }

export function trivialResource(origin: string): ResourceServerInfo {
  return { id: 'rs-bench', audience: origin, origin, tools: [TICKET_READ] }
}

/**
 * An RFC 9068 access token of realistic size for a DPoP-bound, delegated token (header with kid,
 * iss/sub/aud/exp/iat/jti/client_id/scope/tenant, cnf.jkt, a nested act chain), with 64 random
 * bytes where the ES256 signature goes: it looks signed; nobody verifies it here.
 */
export function fakeAccessToken(o: { issuer: string; audience: string; clientId: string; principal: string; tenant: string; scope: string[]; actors: string[]; jkt: string }): string {
  const now = Math.floor(Date.now() / 1000)
  let act: Record<string, unknown> | undefined
  for (const a of [...o.actors].reverse()) act = act ? { sub: a, act } : { sub: a }
  const header = encodeSegment({ alg: 'ES256', typ: 'at+jwt', kid: randomB64url(32) })
  const payload = encodeSegment({
    iss: o.issuer,
    sub: o.principal,
    aud: o.audience,
    exp: now + 600,
    iat: now,
    nbf: now,
    jti: randomB64url(16),
    client_id: o.clientId,
    scope: o.scope.join(' '),
    tenant: o.tenant,
    cnf: { jkt: o.jkt },
    act,
  })
  return `${header}.${payload}.${randomB64url(64)}`
}

/** `n` identities with real keys and realistic tokens, as the load phase holds them (RunIdentity). */
export function benchIdentities(n: number, rs: ResourceServerInfo): RunIdentity[] {
  const out: RunIdentity[] = []
  for (let i = 0; i < n; i++) {
    const key = generateIdentityKey()
    const clientId = `client_${randomB64url(16)}`
    const tenant = `t_${(i % 20) + 1}`
    const principal = `user_${i + 1}`
    const scope = ['tickets:read', 'customers:read']
    const actors = [clientId]
    const accessToken = fakeAccessToken({ issuer: 'http://127.0.0.1:1/as', audience: rs.audience, clientId, principal, tenant, scope, actors, jkt: key.jkt })
    out.push({ ref: `a${i + 1}`, kind: 'agent', clientId, tenant, principal, scope, actors, credential: { accessToken, tokenHash: tokenHash(accessToken), key } })
  }
  return out
}

/** One legitimate read attempt by identity `i mod n`, scheduled at `scheduledAt`. */
export type Attempt = (i: number, scheduledAt?: number, signal?: AbortSignal) => Promise<AttemptRecord>

export function attemptFn(pools: HttpPools, rs: ResourceServerInfo, identities: RunIdentity[], tool: ToolSpec = TICKET_READ): Attempt {
  return async (i, scheduledAt, signal) => {
    const identity = identities[i % identities.length]
    const { record } = await sendAttempt(pools, {
      kind: 'legit',
      scenario: 'bench',
      scheduledAt: scheduledAt ?? epochNow(),
      rs,
      tool,
      tenant: identity.tenant,
      resourceId: `T-${(i % 100_000).toString().padStart(5, '0')}`,
      credential: identity.credential,
      expected: expectedFor(identity, tool, rs),
      signal,
    })
    return record
  }
}

/**
 * The same attempt with the proposed signer (bench/lib/proposed-jws.ts): sendAttempt's own steps
 * (toolPath, DPoP + Authorization headers, the harness's sendRequest), only the proof is made by
 * createDpopProofFast. Shows in the same run what the jws.ts change would save.
 */
export function attemptFnProposed(pools: HttpPools, rs: ResourceServerInfo, identities: RunIdentity[], tool: ToolSpec = TICKET_READ): Attempt {
  return async (i, scheduledAt, signal) => {
    const identity = identities[i % identities.length]
    const cred = identity.credential
    const path = toolPath(tool, identity.tenant, `T-${(i % 100_000).toString().padStart(5, '0')}`)
    const proof = createDpopProofFast(cred.key, { htm: tool.method, htu: rs.origin + path, ath: cred.tokenHash }).proof
    const { record } = await sendRequest(
      pools,
      { origin: rs.origin, method: tool.method, path, headers: [['authorization', `DPoP ${cred.accessToken}`], ['dpop', proof]] },
      { kind: 'legit', scenario: 'bench', scheduledAt: scheduledAt ?? epochNow(), tool: tool.name, expected: expectedFor(identity, tool, rs), tokenHash: cred.tokenHash, signal },
    )
    return record
  }
}

/** A saturated closed loop: `concurrency` attempts always in flight until `deadline` (epoch ms). */
export async function closedLoop(attempt: Attempt, concurrency: number, deadline: number, counters: { done: number; ok: number }): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const r = await attempt(next++)
        counters.done++
        if (r.status === 200) counters.ok++
      }
    }),
  )
}
