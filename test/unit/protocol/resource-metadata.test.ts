/**
 * RFC 9728 protected-resource metadata, as a target profile's `resources[].metadata` reads it: the
 * `resource` member becomes the audience and origin; a document naming another resource (§3.3) or
 * not trusting the profile's issuer (§2 `authorization_servers`) is refused with a coded error.
 */
import { createServer } from 'node:http'
import { describe, expect, test } from 'vitest'
import { discoverResource, resourceOfMetadataUrl } from '../../../harness/protocol/resource-metadata.ts'
import { cleanupsPerTest, listenLoopback } from '../../helpers/listen.ts'

const cleanups = cleanupsPerTest()

const ISSUER = 'http://127.0.0.1:8100'

/** a resource server whose metadata document is `doc(origin)` at the well-known path */
async function rs(doc: (origin: string) => unknown, status = 200): Promise<string> {
  let origin = ''
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/.well-known/oauth-protected-resource')) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(doc(origin)))
    else res.writeHead(404).end()
  })
  origin = `http://127.0.0.1:${await listenLoopback(server, cleanups)}`
  return origin
}

describe('RFC 9728 protected-resource metadata', () => {
  test('§3.1: the well-known segment goes between the host and the path of the resource identifier', () => {
    expect(resourceOfMetadataUrl('https://rs.example/.well-known/oauth-protected-resource')).toBe('https://rs.example')
    expect(resourceOfMetadataUrl('https://rs.example/.well-known/oauth-protected-resource/api/v1')).toBe('https://rs.example/api/v1')
    expect(resourceOfMetadataUrl('https://rs.example/api/.well-known/oauth-protected-resource')).toBeNull()
  })

  test('§2: the resource, its authorization servers and scopes are read', async () => {
    const origin = await rs((o) => ({ resource: o, authorization_servers: [ISSUER], scopes_supported: ['kb:read'], dpop_bound_access_tokens_required: true }))
    const meta = await discoverResource(`${origin}/.well-known/oauth-protected-resource`, { issuer: ISSUER })
    expect(meta).toMatchObject({ resource: origin, scopes_supported: ['kb:read'], dpop_bound_access_tokens_required: true })
  })

  test('§3.3: a document naming another resource than the URL it came from is not used (ERR_PROVISIONING)', async () => {
    const origin = await rs(() => ({ resource: 'https://elsewhere.example', authorization_servers: [ISSUER] }))
    const e = await discoverResource(`${origin}/.well-known/oauth-protected-resource`, { issuer: ISSUER }).catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'ERR_PROVISIONING', message: expect.stringContaining('names resource "https://elsewhere.example"') })
    expect((e as { hint: string }).hint).toMatch(/RFC 9728 §3.3/)
  })

  test('§2 authorization_servers: a resource server that does not trust the profile\'s issuer is refused, naming both', async () => {
    const origin = await rs((o) => ({ resource: o, authorization_servers: ['https://other-as.example'] }))
    const e = await discoverResource(`${origin}/.well-known/oauth-protected-resource`, { issuer: ISSUER }).catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'ERR_PROVISIONING', message: expect.stringMatching(/trusts https:\/\/other-as\.example, not the profile's issuer http:\/\/127\.0\.0\.1:8100/) })
  })

  test('no document, or one without `resource` → coded errors with hints', async () => {
    const missing = await rs(() => ({}), 404)
    await expect(discoverResource(`${missing}/.well-known/oauth-protected-resource`, { issuer: ISSUER })).rejects.toMatchObject({ code: 'ERR_TARGET_UNREACHABLE', hint: expect.stringContaining('audience') })
    const empty = await rs(() => ({ authorization_servers: [ISSUER] }))
    await expect(discoverResource(`${empty}/.well-known/oauth-protected-resource`, { issuer: ISSUER })).rejects.toMatchObject({ code: 'ERR_PROVISIONING', message: expect.stringContaining('no `resource`') })
  })
})
