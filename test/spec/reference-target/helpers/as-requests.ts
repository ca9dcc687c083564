/**
 * Authorization-server requests the lifecycle and delegation-policy specs need beyond World:
 * hand-made client assertions (wrong aud, expired), raw token requests, RFC 7009 revocation,
 * RFC 7592 deletion, and tool calls sent straight to each resource-server replica.
 */
import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { dpopProof, type KeyPair } from './client-crypto.ts'
import type { Actor, HttpResult, World } from './world.ts'

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** RFC 7523 assertion with every claim under the caller's control. */
export function assertionWith(key: KeyPair, clientId: string, o: { aud: string; iat?: number; exp?: number; jti?: string }): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ iss: clientId, sub: clientId, aud: o.aud, jti: o.jti ?? randomUUID(), iat: o.iat ?? now, exp: o.exp ?? now + 60 })
    .setProtectedHeader({ alg: 'ES256' })
    .sign(key.privateKey)
}

/** POST /token with exactly these form parameters and a fresh DPoP proof by `proofKey`. */
export async function rawToken(world: World, params: Record<string, string>, proofKey: KeyPair): Promise<HttpResult> {
  const proof = await dpopProof(proofKey, { htm: 'POST', htu: world.tokenEndpoint })
  return world.http('POST', world.tokenEndpoint, { 'content-type': 'application/x-www-form-urlencoded', dpop: proof }, new URLSearchParams(params).toString())
}

/** Token request authenticated by a given assertion (null: no client authentication at all). */
export function tokenWithAssertion(world: World, actor: Actor, assertion: string | null, params: Record<string, string>): Promise<HttpResult> {
  const auth: Record<string, string> = assertion === null ? {} : { client_assertion_type: ASSERTION_TYPE, client_assertion: assertion }
  return rawToken(world, { ...auth, ...params }, actor.key)
}

/** RFC 7009 §2.1 revocation request, authenticated as `actor` (no DPoP proof). */
export async function revoke(world: World, actor: Actor | null, token: string, extra: Record<string, string> = {}): Promise<HttpResult> {
  const auth: Record<string, string> = actor === null ? {} : { client_assertion_type: ASSERTION_TYPE, client_assertion: await assertionWith(actor.key, actor.clientId, { aud: world.tokenEndpoint }) }
  const form = new URLSearchParams({ ...auth, token, ...extra })
  return world.http('POST', `${world.target.issuer}/revoke`, { 'content-type': 'application/x-www-form-urlencoded' }, form.toString())
}

/** RFC 7592 §2.3 deletion with the registration response's URI and token. */
export function deleteClient(world: World, registration: HttpResult, token = registration.body.registration_access_token as string): Promise<HttpResult> {
  return world.http('DELETE', registration.body.registration_client_uri as string, { authorization: `Bearer ${token}` })
}

/**
 * The same tool call sent to every replica of a resource server directly (not through the front),
 * each with its own proof: htu names the public origin, which replicas check against, never Host.
 */
export async function atEveryReplica(world: World, actor: Actor, token: string, path: string, rsId = 'rs-1'): Promise<{ replica: string; res: HttpResult }[]> {
  const rs = world.target.resources.find((r) => r.id === rsId)!
  const replicas = world.replicas(rsId)
  if (replicas.length === 0) throw new Error(`no replicas of ${rsId} among the target's components`)
  return Promise.all(replicas.map(async (r) => {
    const proof = await dpopProof(actor.key, { htm: 'GET', htu: `${rs.origin}${path}`, accessToken: token })
    return { replica: r.name, res: await world.http('GET', `${r.url}${path}`, { authorization: `DPoP ${token}`, dpop: proof }) }
  }))
}
