/**
 * What the bench's gatecrash clients send: the harness's own hot path. One attempt is exactly what a
 * legitimate workflow read costs in a run: `expectedFor` + `sendAttempt` (trace context, a fresh
 * ES256 DPoP proof with the identity's pre-encoded header and precomputed `ath`, signed in a batch
 * with the others asked for in the same event-loop turn (harness/load/proof-batch.ts), the request
 * on the keep-alive HTTP/1.1 pool (harness/load/http1-pool.ts), the response read and parsed, an
 * AttemptRecord built). Two variants each undo one of those two design choices, so the bench shows
 * what each saves: `attemptFn(…, { inlineProof: true })` signs every proof inline as its attempt starts (no batching);
 * attemptFn over `undiciPools` sends the same attempt through undici `Pool.dispatch` (the previous
 * client).
 */
import type { Pool } from 'undici'
import type { AttemptRecord } from '../../harness/contracts/attempt.ts'
import { epochNow } from '../../harness/load/clock.ts'
import type { Http1Pool } from '../../harness/load/http1-pool.ts'
import type { HttpPools } from '../../harness/load/http-pool.ts'
import { expectedFor, type RunIdentity } from '../../harness/contracts/identity.ts'
import { sendAttempt, toolPath } from '../../harness/load/send-attempt.ts'
import { createDpopProof } from '../../harness/protocol/dpop-proof.ts'
import { generateIdentityKey } from '../../harness/protocol/identity-key.ts'
import { encodeSegment } from '../../harness/protocol/jws.ts'
import { randomB64url } from '../../harness/protocol/random-id.ts'
import { tokenHash } from '../../harness/protocol/token-hash.ts'
import type { ResourceServerInfo, ToolSpec } from '../../harness/contracts/target.ts'
import { dispatchRequest } from './undici-dispatch.ts'

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

const resourceId = (i: number) => `T-${(i % 100_000).toString().padStart(5, '0')}`

/**
 * `inlineProof`: the proof is signed inline and synchronously as the attempt starts
 * (`createDpopProof`, as sendAttempt did before proof-batch.ts) and handed to sendAttempt as
 * `proof`, which sends a given proof as is; the path is then built twice (well under a µs).
 */
export function attemptFn(pools: HttpPools, rs: ResourceServerInfo, identities: RunIdentity[], opts: { inlineProof?: boolean } = {}, tool: ToolSpec = TICKET_READ): Attempt {
  return async (i, scheduledAt, signal) => {
    const identity = identities[i % identities.length]
    const cred = identity.credential
    const proof = opts.inlineProof ? createDpopProof(cred.key, { htm: tool.method, htu: rs.origin + toolPath(tool, identity.tenant, resourceId(i)), ath: cred.tokenHash }).proof : undefined
    const { record } = await sendAttempt(pools, {
      kind: 'legit',
      scenario: 'bench',
      scheduledAt: scheduledAt ?? epochNow(),
      rs,
      tool,
      tenant: identity.tenant,
      resourceId: resourceId(i),
      credential: cred,
      proof,
      expected: expectedFor(identity, tool, rs),
      signal,
    })
    return record
  }
}


/**
 * HttpPools whose every origin is `pool`, requests going through `dispatchRequest` (undici
 * `Pool.dispatch`, ./undici-dispatch.ts, the previous hot-path client). With attemptFn this is the
 * gatecrash attempt unchanged (sendAttempt: path, batched proof, trace headers, Authorization + DPoP,
 * the AttemptRecord, the response read into it) but for the client under it. The request and
 * response shapes are checked against Http1Pool's; the casts only cover the classes' private
 * members. send() only calls `pools.get(origin).request(…)`; were it to call more, the attempts
 * would fail and show as non-200 in the table.
 */
export function undiciPools(pool: Pool): HttpPools {
  const request: Http1Pool['request'] = (req) => dispatchRequest(pool, req)
  const client = { request } as unknown as Http1Pool
  return { get: () => client, close: () => pool.close() } as unknown as HttpPools
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
