/**
 * A stolen DPoP-bound token presented without the thief holding the key, or presented another way:
 *
 * - replay.dpop-no-proof (RFC 9449 §7.1): `Authorization: DPoP <token>` and no `DPoP` header.
 * - replay.bearer-downgrade (§7.2 MUST, Fig. 18): the token as `Authorization: Bearer`, no proof.
 * - replay.dual-scheme (§7.2 Fig. 19): the token under both schemes at once (two `Authorization`
 *   headers) with a valid proof; a correct server refuses the request as malformed (400
 *   invalid_request). The token is genuine, so the record can still name its principal.
 * - replay.foreign-key (§4.3 (12), §6): a well-formed proof, `ath` right, signed by the thief's key.
 * - replay.ath-swap (§4.3 (12), §7): the holder's own key signs, but `ath` is another token's hash.
 */
import { expectedFor, type RunIdentity } from '../../load/identity.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import { generateIdentityKey } from '../../protocol/identity-key.ts'
import type { ResourceServerInfo } from '../../target/types.ts'
import { readableTool, type ActionEnv, type AttackModule } from '../types.ts'
import { callArgs, htuOf, otherIdentity, sendToolCall } from './tool-call.ts'

const eligible = (identity: RunIdentity, rs: ResourceServerInfo): boolean => readableTool(identity, rs) !== undefined

function target(env: ActionEnv) {
  const tool = readableTool(env.identity, env.rs)!
  const { resourceId } = callArgs(tool, env.salt)
  return { tool, resourceId, htu: htuOf(env.rs, tool, env.identity.tenant, resourceId), cred: env.identity.credential }
}

export const replayDpopNoProof: AttackModule = {
  id: 'replay.dpop-no-proof',
  eligible,
  async fire(env) {
    const { tool, resourceId, cred } = target(env)
    await sendToolCall(env, {
      caseId: this.id,
      tool,
      tenant: env.identity.tenant,
      resourceId,
      headers: [['authorization', `DPoP ${cred.accessToken}`]],
      expected: expectedFor(env.identity, tool, env.rs),
      tokenHash: cred.tokenHash,
    })
  },
}

export const replayBearerDowngrade: AttackModule = {
  id: 'replay.bearer-downgrade',
  eligible,
  async fire(env) {
    const { tool, resourceId, cred } = target(env)
    await sendToolCall(env, {
      caseId: this.id,
      tool,
      tenant: env.identity.tenant,
      resourceId,
      headers: [['authorization', `Bearer ${cred.accessToken}`]],
      expected: expectedFor(env.identity, tool, env.rs),
      tokenHash: cred.tokenHash,
    })
  },
}

export const replayDualScheme: AttackModule = {
  id: 'replay.dual-scheme',
  eligible,
  async fire(env) {
    const { tool, resourceId, htu, cred } = target(env)
    await sendToolCall(env, {
      caseId: this.id,
      tool,
      tenant: env.identity.tenant,
      resourceId,
      headers: [
        ['authorization', `Bearer ${cred.accessToken}`],
        ['authorization', `DPoP ${cred.accessToken}`],
        ['dpop', createDpopProof(cred.key, { htm: tool.method, htu, ath: cred.tokenHash }).proof],
      ],
      expected: expectedFor(env.identity, tool, env.rs),
      tokenHash: cred.tokenHash,
    })
  },
}

export const replayForeignKey: AttackModule = {
  id: 'replay.foreign-key',
  eligible,
  async fire(env) {
    const { tool, resourceId, htu, cred } = target(env)
    const thief = generateIdentityKey()
    await env.send({
      kind: 'attack',
      caseId: this.id,
      tool,
      tenant: env.identity.tenant,
      resourceId,
      credential: cred,
      proof: createDpopProof(thief, { htm: tool.method, htu, ath: cred.tokenHash }).proof,
      expected: expectedFor(env.identity, tool, env.rs),
      scheduledAt: env.scheduledAt,
    })
  },
}

/** prepared: the population, to take another identity's token hash from */
export const replayAthSwap: AttackModule = {
  id: 'replay.ath-swap',
  eligible,
  prepare: async (kit) => kit.identities,
  async fire(env) {
    const { tool, resourceId, htu, cred } = target(env)
    const other = otherIdentity(env.prepared as RunIdentity[], env.identity, env.salt)
    if (!other) return
    await env.send({
      kind: 'attack',
      caseId: this.id,
      tool,
      tenant: env.identity.tenant,
      resourceId,
      credential: cred,
      proof: createDpopProof(cred.key, { htm: tool.method, htu, ath: other.credential.tokenHash }).proof,
      expected: expectedFor(env.identity, tool, env.rs),
      scheduledAt: env.scheduledAt,
    })
  },
}
