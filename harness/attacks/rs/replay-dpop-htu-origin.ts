/**
 * replay.dpop-htu-origin.* (RFC 9449 §4.3 (9), RFC 9110 §4.2.3): a proof made for the same path at
 * another origin, presented here. The request URI's scheme, host and port are part of what htu must
 * match; only their case and a written-out default port may differ (the normalise controls), so
 * each of these is refused:
 *
 * - `.other-host`: another host name (loopback: `localhost` for `127.0.0.1` and back; elsewhere a
 *   made-up name under `.invalid`, RFC 6761 §6.4). The host is only ever written into the proof:
 *   the request goes to the resource server's own origin.
 * - `.other-port`: the next port.
 * - `.other-scheme`: https for http and back, host and port kept (`https://h` → `http://h:443`).
 * - `.other-resource`: another resource server of the target (its origin, this path): a proof a
 *   malicious or compromised tool server received, replayed here.
 * - `.spoofed-host`, `.spoofed-forwarded-host`: the proof names another host, and the request says
 *   it is for that host in its `Host` or `X-Forwarded-Host` header. A server that builds the URI it
 *   checks from those headers instead of its configured public origin accepts it. The connection
 *   itself still goes to the resource server's origin through the host policy: only the header
 *   line changes (harness/load/http1-pool.ts sends a given `host` header instead of its own).
 *
 * The path-level mismatch is replay.dpop-htu-htm.other-uri; the equivalent spellings a correct
 * server accepts are replay.dpop-htu-normalise.*.
 */
import { expectedFor } from '../../contracts/identity.ts'
import type { ResourceServerInfo } from '../../contracts/target.ts'
import { toolPath } from '../../load/send-attempt.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import { CaseNotCovered, readableTool, type AttackModule } from '../types.ts'
import { callArgs, dpopHeaders, sendToolCall } from './tool-call.ts'

type Variant = 'other-host' | 'other-port' | 'other-scheme' | 'other-resource' | 'spoofed-host' | 'spoofed-forwarded-host'

const LOOPBACK_SWAP: Record<string, string> = { '127.0.0.1': 'localhost', localhost: '127.0.0.1', '[::1]': 'localhost' }

/** Another host name for `origin`'s host: the other loopback spelling, or a reserved name that resolves nowhere. */
export function otherHost(hostname: string): string {
  return LOOPBACK_SWAP[hostname.toLowerCase()] ?? `other-${hostname.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40)}.invalid`
}

/** `origin` with one part changed; the result is another origin by RFC 6454 §4, never an equivalent spelling. */
export function alteredOrigin(origin: string, part: 'host' | 'port' | 'scheme'): string {
  const u = new URL(origin)
  const scheme = u.protocol.slice(0, -1)
  const defaultPort = scheme === 'https' ? 443 : 80
  const port = u.port === '' ? defaultPort : Number(u.port)
  if (part === 'host') return `${scheme}://${otherHost(u.hostname)}${u.port === '' ? '' : `:${u.port}`}`
  if (part === 'port') return `${scheme}://${u.hostname}:${(port % 65_535) + 1}`
  // the port written out, so only the scheme differs (https://h is port 443; http://h:443 is not it)
  return `${scheme === 'https' ? 'http' : 'https'}://${u.hostname}:${port}`
}

/** A resource server of the target at another origin than `rs`, if there is one. */
function otherResource(resources: readonly ResourceServerInfo[], rs: ResourceServerInfo): ResourceServerInfo | undefined {
  const own = new URL(rs.origin).origin
  return resources.find((r) => new URL(r.origin).origin !== own)
}

function module(variant: Variant): AttackModule {
  return {
    id: `replay.dpop-htu-origin.${variant}`,
    eligible: (identity, rs) => readableTool(identity, rs) !== undefined,
    async prepare(kit) {
      if (variant !== 'other-resource') return undefined
      if (otherResource(kit.target.resources, kit.target.resources[0]) === undefined) throw new CaseNotCovered('the target has one resource-server origin')
      return undefined
    },
    async fire(env) {
      const tool = readableTool(env.identity, env.rs)!
      const { resourceId } = callArgs(tool, env.salt)
      const cred = env.identity.credential
      const path = toolPath(tool, env.identity.tenant, resourceId)
      let origin: string
      const headers: [string, string][] = []
      if (variant === 'other-resource') {
        const other = otherResource(env.target.resources, env.rs)
        if (other === undefined) return
        origin = new URL(other.origin).origin
      } else if (variant === 'spoofed-host' || variant === 'spoofed-forwarded-host') {
        origin = alteredOrigin(env.rs.origin, 'host')
        headers.push([variant === 'spoofed-host' ? 'host' : 'x-forwarded-host', new URL(origin).host])
      } else {
        origin = alteredOrigin(env.rs.origin, variant === 'other-host' ? 'host' : variant === 'other-port' ? 'port' : 'scheme')
      }
      const { proof } = createDpopProof(cred.key, { htm: tool.method, htu: origin + path, ath: cred.tokenHash })
      await sendToolCall(env, {
        caseId: this.id,
        tool,
        tenant: env.identity.tenant,
        resourceId,
        headers: [...dpopHeaders(cred.accessToken, proof), ...headers],
        expected: expectedFor(env.identity, tool, env.rs),
        tokenHash: cred.tokenHash,
      })
    },
  }
}

export const replayDpopHtuOtherHost = module('other-host')
export const replayDpopHtuOtherPort = module('other-port')
export const replayDpopHtuOtherScheme = module('other-scheme')
export const replayDpopHtuOtherResource = module('other-resource')
export const replayDpopHtuSpoofedHost = module('spoofed-host')
export const replayDpopHtuSpoofedForwardedHost = module('spoofed-forwarded-host')
