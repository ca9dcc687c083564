/**
 * RFC 8414 authorization-server metadata, found where the AS publishes it: §3.1's well-known URL
 * (the segment inserted before the issuer's path), else OpenID Connect Discovery's (appended to the
 * issuer, RFC 8414 §5); §3.3: the issuer inside must be the issuer asked for.
 */
import { createServer } from 'node:http'
import { describe, expect, test } from 'vitest'
import { discover } from '../../../harness/protocol/oauth-client.ts'
import { cleanupsPerTest, listenLoopback } from '../../helpers/listen.ts'

const cleanups = cleanupsPerTest()

/** an AS that serves its metadata at `paths` only; answers its origin and the paths asked for */
async function as(paths: (origin: string) => Record<string, { issuer: string }>): Promise<{ origin: string; asked: string[] }> {
  const asked: string[] = []
  let docs: Record<string, { issuer: string }> = {}
  const server = createServer((req, res) => {
    asked.push(req.url ?? '')
    const doc = docs[req.url ?? '']
    if (doc) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...doc, token_endpoint: `${doc.issuer}/token` }))
    else res.writeHead(404).end()
  })
  const origin = `http://127.0.0.1:${await listenLoopback(server, cleanups)}`
  docs = paths(origin)
  return { origin, asked }
}

describe('authorization-server discovery', () => {
  test('RFC 8414 §3.1: an issuer with a path → /.well-known/oauth-authorization-server/<path>', async () => {
    const { origin, asked } = await as((o) => ({ '/.well-known/oauth-authorization-server/tenant-a': { issuer: `${o}/tenant-a` } }))
    expect((await discover(`${origin}/tenant-a`)).issuer).toBe(`${origin}/tenant-a`)
    expect(asked).toEqual(['/.well-known/oauth-authorization-server/tenant-a'])
  })

  test('RFC 8414 §5: an OpenID Provider with only its discovery document, appended to the issuer (Keycloak\'s realms)', async () => {
    const { origin, asked } = await as((o) => ({ '/realms/agents/.well-known/openid-configuration': { issuer: `${o}/realms/agents` } }))
    expect((await discover(`${origin}/realms/agents`)).issuer).toBe(`${origin}/realms/agents`)
    expect(asked).toEqual(['/.well-known/oauth-authorization-server/realms/agents', '/realms/agents/.well-known/openid-configuration'])
  })

  test('no metadata anywhere → ERR_TARGET_UNREACHABLE naming both URLs; another issuer inside → ERR_PROVISIONING (§3.3)', async () => {
    const none = await as(() => ({}))
    await expect(discover(none.origin)).rejects.toMatchObject({ code: 'ERR_TARGET_UNREACHABLE', message: expect.stringContaining(`${none.origin}/.well-known/oauth-authorization-server or ${none.origin}/.well-known/openid-configuration`) })
    const other = await as(() => ({ '/.well-known/oauth-authorization-server': { issuer: 'https://someone-else.example' } }))
    await expect(discover(other.origin)).rejects.toMatchObject({ code: 'ERR_PROVISIONING', hint: expect.stringContaining('RFC 8414 §3.3') })
  })
})
