/**
 * replay.dpop-jti-reuse.parallel (RFC 9449 §11.1): N copies of one request carrying the same,
 * never-used proof, sent at the same instant. With replicas behind a front the copies land on
 * different nodes, so only a replay store the nodes share refuses all but one. All N are attack
 * attempts of one group; the oracle judges the group: at most one may be accepted.
 */
import { expectedFor } from '../../contracts/identity.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import { randomB64url } from '../../protocol/random-id.ts'
import { readableTool, type AttackModule } from '../types.ts'
import { callArgs, htuOf } from './tool-call.ts'

/** copies fired at once */
export const PARALLEL_COPIES = 4

export const replayDpopJtiReuseParallel: AttackModule = {
  id: 'replay.dpop-jti-reuse.parallel',
  eligible: (identity, rs) => readableTool(identity, rs) !== undefined,
  async fire(env) {
    const tool = readableTool(env.identity, env.rs)!
    const { resourceId } = callArgs(tool, env.salt)
    const cred = env.identity.credential
    const { proof } = createDpopProof(cred.key, { htm: tool.method, htu: htuOf(env.rs, tool, env.identity.tenant, resourceId), ath: cred.tokenHash })
    const group = `jti-parallel-${env.salt}-${randomB64url(6)}`
    await Promise.all(
      Array.from({ length: PARALLEL_COPIES }, () =>
        env.send({
          kind: 'attack',
          caseId: this.id,
          group,
          tool,
          tenant: env.identity.tenant,
          resourceId,
          credential: cred,
          proof,
          expected: expectedFor(env.identity, tool, env.rs),
          scheduledAt: env.scheduledAt,
          // each copy on a new connection: a TCP front spreads new connections over its replicas,
          // whereas the pool's idle sockets may all lead to one replica (the flaw then goes unseen)
          freshConnection: true,
        }),
      ),
    )
  },
}
