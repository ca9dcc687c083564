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
import { expectedFor, type RunIdentity } from '../../contracts/identity.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import { generateIdentityKey } from '../../protocol/identity-key.ts'
import type { ResourceServerInfo } from '../../contracts/target.ts'
import { readableTool, type ActionEnv, type AttackModule } from '../types.ts'
import { callArgs, htuOf, otherIdentity, sendToolCall } from './tool-call.ts'

const eligible = (identity: RunIdentity, rs: ResourceServerInfo): boolean => readableTool(identity, rs) !== undefined

function target(env: ActionEnv) {
  const tool = readableTool(env.identity, env.rs)!
  const { resourceId } = callArgs(tool, env.salt)
  return { tool, resourceId, htu: htuOf(env.rs, tool, env.identity.tenant, resourceId), cred: env.identity.credential }
}

/** The victim's read call, sent with exactly the given auth headers (the part each case varies). */
async function sendStolen(env: ActionEnv, caseId: string, headers: (t: ReturnType<typeof target>) => [string, string][]): Promise<void> {
  const t = target(env)
  await sendToolCall(env, {
    caseId,
    tool: t.tool,
    tenant: env.identity.tenant,
    resourceId: t.resourceId,
    headers: headers(t),
    expected: expectedFor(env.identity, t.tool, env.rs),
    tokenHash: t.cred.tokenHash,
  })
}

export const replayDpopNoProof: AttackModule = {
  id: 'replay.dpop-no-proof',
  eligible,
  async fire(env) {
    await sendStolen(env, this.id, ({ cred }) => [['authorization', `DPoP ${cred.accessToken}`]])
  },
}

export const replayBearerDowngrade: AttackModule = {
  id: 'replay.bearer-downgrade',
  eligible,
  async fire(env) {
    await sendStolen(env, this.id, ({ cred }) => [['authorization', `Bearer ${cred.accessToken}`]])
  },
}

export const replayDualScheme: AttackModule = {
  id: 'replay.dual-scheme',
  eligible,
  async fire(env) {
    await sendStolen(env, this.id, ({ tool, htu, cred }) => [
      ['authorization', `Bearer ${cred.accessToken}`],
      ['authorization', `DPoP ${cred.accessToken}`],
      ['dpop', createDpopProof(cred.key, { htm: tool.method, htu, ath: cred.tokenHash }).proof],
    ])
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
