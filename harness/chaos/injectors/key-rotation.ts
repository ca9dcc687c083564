/**
 * Signing-key rotation at the authorization server in the middle of the run (admin hook), then a
 * seeded share of the identities exchange their tokens again, so tokens under the new kid and the
 * old one are in use side by side: resource servers must pick up the new key (JWKS) and keep
 * refusing anything they cannot verify.
 */
import { seededUnit } from '../../load/seeded.ts'
import type { RunIdentity } from '../../contracts/identity.ts'
import { forEachBounded } from '../../population/bounded-pool.ts'
import { SUBJECT_ACCESS_TOKEN, tokenExchange } from '../../protocol/oauth-client.ts'
import { tokenHash } from '../../protocol/token-hash.ts'
import { FaultInjectionFailed } from '../toxiproxy-client.ts'
import type { FaultInjector, InjectContext } from '../injector.ts'

/** Parents before children, so a sub-agent exchanges its parent's new token. */
function byDepth(list: readonly RunIdentity[]): RunIdentity[] {
  return [...list].sort((a, b) => a.actors.length - b.actors.length)
}

async function reexchange(ctx: InjectContext, chosen: readonly RunIdentity[]): Promise<{ ok: number; failed: number }> {
  const kit = ctx.kit
  if (!kit) throw new FaultInjectionFailed('re-exchanging tokens needs the run kit (AS metadata and the workforce IdP)')
  const byClient = new Map(ctx.identities.map((i) => [i.clientId, i]))
  const principals = new Map(kit.principals.map((p) => [p.id, p]))
  const resource = ctx.target.resources[0].audience
  let ok = 0
  let failed = 0
  // Level by level: a child's subject is its parent's token, which may just have changed.
  const levels = new Map<number, RunIdentity[]>()
  for (const id of byDepth(chosen)) levels.set(id.actors.length, [...(levels.get(id.actors.length) ?? []), id])
  for (const level of levels.values()) {
    await forEachBounded(level, 8, async (id) => {
      const parent = id.actors.length > 1 ? byClient.get(id.actors[1]) : undefined
      const principal = principals.get(id.principal)
      if (!parent && !principal) return void failed++
      try {
        const res = await tokenExchange(kit.meta, {
          clientId: id.clientId,
          key: id.credential.key,
          subjectToken: parent ? parent.credential.accessToken : await kit.subjects.subjectTokenFor(principal!, kit.meta.issuer),
          subjectTokenType: parent ? SUBJECT_ACCESS_TOKEN : kit.subjects.tokenType,
          resource,
          scope: id.scope,
        })
        kit.observe?.(
          // the parent's grant is not a RunIdentity's to know: the subject-scope half of the check is left to provisioning's
          { source: 'key-rotation', issuer: kit.meta.issuer, ref: id.ref, clientId: id.clientId, jkt: id.credential.key.jkt, principal: id.principal, actors: id.actors, resource, registeredScope: id.scope, subjectScope: parent ? null : principal!.entitlements },
          res,
          Date.now(),
        )
        // Swap the whole credential at once: requests in flight keep the one they read.
        id.credential = { accessToken: res.access_token, tokenHash: tokenHash(res.access_token), key: id.credential.key }
        ok++
      } catch (e) {
        failed++
        ctx.log(`key rotation: re-exchange for ${id.ref} failed: ${(e as Error).message}`)
      }
    })
  }
  return { ok, failed }
}

export const keyRotationInjector: FaultInjector = {
  name: 'key-rotation',
  kinds: ['key-rotation'],
  async inject(spec, ctx) {
    if (spec.kind !== 'key-rotation') throw new TypeError(`key-rotation cannot inject ${spec.kind}`)
    const admin = ctx.target.admin
    if (!admin) throw new FaultInjectionFailed(`target ${ctx.target.name} has no admin hook to rotate signing keys`, { hint: 'key rotation needs TargetAdmin.rotateSigningKey' })
    const before = await admin.currentSigningKid().catch(() => null)
    const { kid } = await admin.rotateSigningKey()
    const share = spec.reexchange ?? 0.5
    const chosen = ctx.identities.filter((_, i) => seededUnit(ctx.seed, i, `key-rotation:${ctx.index}`) < share)
    const { ok, failed } = await reexchange(ctx, chosen)
    return {
      detail: `signing key ${before ?? '?'} → ${kid}; ${ok} of ${ctx.identities.length} identities re-exchanged their tokens${failed ? ` (${failed} failed)` : ''}`,
      async heal() {},
    }
  },
}
