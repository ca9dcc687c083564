/**
 * replay.dpop-htu-normalise.* — controls (RFC 9449 §4.3 (9), RFC 3986 §6.2.2–6.2.3): proofs a correct
 * resource server ACCEPTS, because their `htu` is the request URI after the normalisation §4.3 says
 * it SHOULD apply. A refusal is a warn (the target is stricter than it should be), never a breach.
 *
 * - `.query`: the request URI carries a query; `htu` leaves it out, as §4.2 requires.
 * - `.host-case`: the host in upper case (§6.2.2.1). An IP-literal host has no letters, so there the
 *   scheme is upper-cased instead, the only case-insensitive part such an origin has.
 * - `.default-port`: the scheme's default port written out (§6.2.3) when the origin has none. An
 *   origin with an explicit, non-default port (the reference target's loopback servers) cannot
 *   show this, so the variant falls back to the upper-case scheme (`HTTP://`), as the lead chose.
 */
import { expectedFor } from '../../contracts/identity.ts'
import { toolPath } from '../../load/send-attempt.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import type { ResourceServerInfo } from '../../contracts/target.ts'
import { readableTool, type AttackModule } from '../types.ts'
import { callArgs, dpopHeaders, sendToolCall } from './tool-call.ts'

type Variant = 'query' | 'host-case' | 'default-port'

/** `scheme://authority` of the resource server written differently but equivalently. */
export function equivalentOrigin(origin: string, variant: 'host-case' | 'default-port'): string {
  const u = new URL(origin)
  const scheme = u.protocol.slice(0, -1)
  const port = u.port === '' ? '' : `:${u.port}`
  if (variant === 'default-port' && u.port === '') return `${scheme}://${u.hostname}:${scheme === 'https' ? 443 : 80}`
  if (variant === 'host-case' && u.hostname.toUpperCase() !== u.hostname) return `${scheme}://${u.hostname.toUpperCase()}${port}`
  return `${scheme.toUpperCase()}://${u.hostname}${port}`
}

/** The proof's `htu` for a request to `path` at `rs`, per variant. */
export function controlHtu(rs: ResourceServerInfo, path: string, variant: Variant): string {
  const full = new URL(rs.origin + path)
  return variant === 'query' ? full.origin + full.pathname : equivalentOrigin(rs.origin, variant) + full.pathname
}

function module(id: string, variant: Variant): AttackModule {
  return {
    id,
    eligible: (identity, rs) => readableTool(identity, rs) !== undefined,
    async fire(env) {
      const tool = readableTool(env.identity, env.rs)!
      const { resourceId } = callArgs(tool, env.salt)
      const cred = env.identity.credential
      const htu = controlHtu(env.rs, toolPath(tool, env.identity.tenant, resourceId), variant)
      const { proof } = createDpopProof(cred.key, { htm: tool.method, htu, ath: cred.tokenHash })
      await sendToolCall(env, {
        caseId: this.id,
        tool,
        tenant: env.identity.tenant,
        resourceId,
        query: variant === 'query' ? `page=${env.salt % 7}&q=gatecrash` : undefined,
        headers: dpopHeaders(cred.accessToken, proof),
        expected: expectedFor(env.identity, tool, env.rs),
        tokenHash: cred.tokenHash,
      })
    },
  }
}

export const replayDpopHtuNormaliseQuery = module('replay.dpop-htu-normalise.query', 'query')
export const replayDpopHtuNormaliseHostCase = module('replay.dpop-htu-normalise.host-case', 'host-case')
export const replayDpopHtuNormaliseDefaultPort = module('replay.dpop-htu-normalise.default-port', 'default-port')
