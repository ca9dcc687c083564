/**
 * Identities as they cross to a worker thread. The key crosses as exportIdentityKey's string (the
 * 32-byte scalar and the DPoP header: ~1 µs, no crypto) and is rebuilt with identityKeyFrom, whose
 * KeyObject is imported on first signature. Posting KeyObjects themselves also works in Node 24
 * (5,000 cloned in ~11 ms, against ~580 ms to go through JWK export and import), but identity keys
 * no longer hold one each (protocol/identity-key.ts), so the string is both cheaper and smaller.
 */
import { exportIdentityKey, identityKeyFrom, type ExportedIdentityKey } from '../../protocol/identity-key.ts'
import type { RunIdentity } from '../../contracts/identity.ts'

export interface PortableIdentity {
  ref: string
  kind: RunIdentity['kind']
  clientId: string
  tenant: string
  principal: string
  scope: string[]
  actors: string[]
  accessToken: string
  tokenHash: string
  /** secret: posted to the worker, never logged or written */
  key: ExportedIdentityKey
}

export function toPortable(i: RunIdentity): PortableIdentity {
  return {
    ref: i.ref,
    kind: i.kind,
    clientId: i.clientId,
    tenant: i.tenant,
    principal: i.principal,
    scope: [...i.scope],
    actors: [...i.actors],
    accessToken: i.credential.accessToken,
    tokenHash: i.credential.tokenHash,
    key: exportIdentityKey(i.credential.key),
  }
}

export function fromPortable(p: PortableIdentity): RunIdentity {
  return {
    ref: p.ref,
    kind: p.kind,
    clientId: p.clientId,
    tenant: p.tenant,
    principal: p.principal,
    scope: p.scope,
    actors: p.actors,
    credential: { accessToken: p.accessToken, tokenHash: p.tokenHash, key: identityKeyFrom(p.key) },
  }
}
