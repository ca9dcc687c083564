import type { CaseKit } from '../../attacks/kit.ts'
import type { ActionEnv } from '../../attacks/types.ts'
import type { AttemptRecord } from '../../contracts/attempt.ts'
import type { HttpPools } from '../../load/http-pool.ts'
import type { RunIdentity } from '../../contracts/identity.ts'
import { sendAttempt, sendRequest } from '../../load/send-attempt.ts'
import type { ResourceServerInfo, StartedTarget } from '../../contracts/target.ts'

export interface EnvInput {
  identity: RunIdentity
  rs: ResourceServerInfo
  target: StartedTarget
  /** only the metadata is used, so a worker thread can pass what it rebuilt without a whole kit */
  kit: Pick<CaseKit, 'meta'>
  pools: HttpPools
  scenario: string
  /** the executor's iteration number; written on every attempt so runs can be compared across worker counts */
  iteration?: number
  scheduledAt: number
  salt: number
  signal: AbortSignal
  prepared: unknown
  onAttempt(a: AttemptRecord): void
}

/** The one way actions reach the target: every request they send is recorded as an attempt. */
export function makeActionEnv(i: EnvInput): ActionEnv {
  const tag = (r: AttemptRecord): AttemptRecord => {
    if (i.iteration !== undefined) r.iteration = i.iteration
    r.identity = i.identity.ref
    return r
  }
  return {
    identity: i.identity,
    rs: i.rs,
    target: i.target,
    meta: i.kit.meta,
    scenario: i.scenario,
    scheduledAt: i.scheduledAt,
    salt: i.salt,
    signal: i.signal,
    prepared: i.prepared,
    send: async (spec) => {
      const sent = await sendAttempt(i.pools, { rs: i.rs, ...spec, scenario: i.scenario, signal: i.signal })
      // A refused write must leave no trace in the target's state: ask it (admin hook), don't assume.
      const r = sent.record
      if (spec.kind === 'attack' && spec.tool.writes && i.target.admin && r.status !== null && r.status >= 300) {
        r.side_effect = await i.target.admin.refundCount(r.trace_id).then((n) => n > 0, () => undefined)
      }
      i.onAttempt(tag(r))
      return sent
    },
    request: async (req, { sideEffect, ...meta }) => {
      const sent = await sendRequest(i.pools, req, { ...meta, scenario: i.scenario, scheduledAt: i.scheduledAt, signal: i.signal })
      // A refusal proves nothing about the state, and an AS may answer 200 and do nothing: ask it.
      if (sideEffect && meta.kind === 'attack' && sent.record.status !== null) {
        sent.record.side_effect = await sideEffect(sent).catch(() => undefined)
      }
      i.onAttempt(tag(sent.record))
      return sent
    },
  }
}
