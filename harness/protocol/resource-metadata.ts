/**
 * RFC 9728 OAuth 2.0 Protected Resource Metadata: what a resource server says about itself — its
 * resource identifier (the audience tokens for it carry), the authorization servers it trusts, its
 * scopes and DPoP requirements. A target profile may name a resource server by its metadata URL
 * instead of stating the audience and origin.
 *
 * @example
 *   const rs = await discoverResource('http://127.0.0.1:8102/.well-known/oauth-protected-resource', { issuer })
 *   rs.resource   // 'http://127.0.0.1:8102': the audience, and where requests go
 */
import { ProvisioningFailed, TargetUnreachable } from '../contracts/errors.ts'
import { loopbackHttp, type HttpClient } from './http.ts'

const WELL_KNOWN = '/.well-known/oauth-protected-resource'

export interface ResourceMetadata {
  resource: string
  authorization_servers?: string[]
  scopes_supported?: string[]
  bearer_methods_supported?: string[]
  dpop_signing_alg_values_supported?: string[]
  dpop_bound_access_tokens_required?: boolean
  [member: string]: unknown
}

/**
 * RFC 9728 §3.1: the resource identifier a metadata URL was formed from — the well-known segment
 * inserted between the host and the path (`https://rs.example/.well-known/oauth-protected-resource/api`
 * belongs to `https://rs.example/api`). Null when the URL has no such segment.
 */
export function resourceOfMetadataUrl(metadataUrl: string): string | null {
  const u = new URL(metadataUrl)
  if (u.pathname !== WELL_KNOWN && !u.pathname.startsWith(`${WELL_KNOWN}/`)) return null
  return `${u.origin}${u.pathname.slice(WELL_KNOWN.length)}${u.search}`
}

/** Fetches and checks the metadata; the `issuer` (when the metadata lists its authorization servers) must be among them. */
export async function discoverResource(metadataUrl: string, opts: { issuer: string; http?: HttpClient }): Promise<ResourceMetadata> {
  const http = opts.http ?? loopbackHttp
  const res = await http.request(metadataUrl)
  if (res.status !== 200 || res.body === null || typeof res.body !== 'object') {
    throw new TargetUnreachable(`no protected-resource metadata at ${metadataUrl} (HTTP ${res.status})`, {
      hint: 'RFC 9728 §3: the resource server serves its metadata as JSON at /.well-known/oauth-protected-resource (before any path of its resource identifier); or state `audience` and `origin` in the profile instead of `metadata`',
    })
  }
  const meta = res.body as ResourceMetadata
  if (typeof meta.resource !== 'string' || !URL.canParse(meta.resource)) {
    throw new ProvisioningFailed(`the metadata at ${metadataUrl} has no \`resource\` URL`, { hint: 'RFC 9728 §2: `resource`, the protected resource\'s identifier, is required' })
  }
  // §3.3: the identifier in the document must be the one the metadata URL was formed from, else the document must not be used.
  const expected = resourceOfMetadataUrl(metadataUrl)
  if (expected !== null && meta.resource.replace(/\/$/, '') !== expected.replace(/\/$/, '')) {
    throw new ProvisioningFailed(`the metadata at ${metadataUrl} names resource ${JSON.stringify(meta.resource)}, not ${JSON.stringify(expected)}`, {
      hint: 'RFC 9728 §3.3: the `resource` value must be identical to the identifier the metadata URL was formed from; a document that differs must not be used',
    })
  }
  if (Array.isArray(meta.authorization_servers) && meta.authorization_servers.length > 0 && !meta.authorization_servers.includes(opts.issuer)) {
    throw new ProvisioningFailed(`the resource ${meta.resource} trusts ${meta.authorization_servers.join(', ')}, not the profile's issuer ${opts.issuer}`, {
      hint: 'RFC 9728 §2 `authorization_servers`: the resource server must list the issuer the profile names, or tokens from it will be refused',
    })
  }
  return meta
}
