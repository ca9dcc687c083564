/**
 * replay.dpop-jti-reuse.{after-1s,window-end} (RFC 9449 §11.1): a request that worked, sent again
 * with the very same proof some time later rather than at once. A server that refuses repeats must
 * remember a jti for as long as the proof could pass its iat check; one that forgets sooner
 * accepts the late copy.
 *
 * - `.after-1s`: the copy one second after the original's answer.
 * - `.window-end`: the proof's iat is set in the past so that the copy, a few seconds later,
 *   arrives just inside the end of the acceptance window the target declares
 *   (`policy.dpopProofWindowS`; the reference: 60 s). The iat check still passes it, so only the
 *   replay check can refuse it. Backdating keeps the wait short instead of waiting out the window.
 *   Without a declared window the case is not-covered: a guessed window wider than the target's
 *   would have the original refused by the iat check, a narrower one would test nothing new.
 *
 * Both wait inside fire(), a few seconds at most and abortable: well inside an executor's default
 * 30 s gracefulStop, so a case dealt near the end of the run still finishes; when the run stops
 * first, the copy is not sent (the original is ordinary traffic either way).
 */
import { expectedFor } from '../../contracts/identity.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import { CaseNotCovered, readableTool, resourceId, type ActionEnv, type AttackModule } from '../types.ts'
import { htuOf } from './tool-call.ts'

/** `.after-1s`: how long after the original's answer the copy goes out */
export const AFTER_MS = 1_000
/** `.window-end`: how long the copy waits, and how far inside the window's end it lands (clock skew, transit) */
export const WINDOW_END_WAIT_S = 4
export const WINDOW_END_MARGIN_S = 2

/** Resolves after `ms`, or at once when `signal` aborts; true when the full wait elapsed. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t)
      resolve(!signal.aborted)
    }
    const t = setTimeout(() => (signal.removeEventListener('abort', done), resolve(true)), ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

/** The original as ordinary traffic, then, after `waitMs`, the same request with the same proof as the attack. */
async function replayLater(env: ActionEnv, caseId: string, waitMs: number, iat?: number): Promise<void> {
  const tool = readableTool(env.identity, env.rs)!
  const cred = env.identity.credential
  const id = resourceId(tool.name.split('.')[0], env.salt)
  const base = {
    tool,
    tenant: env.identity.tenant,
    resourceId: id,
    credential: cred,
    expected: expectedFor(env.identity, tool, env.rs),
    scheduledAt: env.scheduledAt,
    group: `replay-later-${env.salt}`,
  }
  const proof = iat === undefined ? undefined : createDpopProof(cred.key, { htm: tool.method, htu: htuOf(env.rs, tool, env.identity.tenant, id), ath: cred.tokenHash, iat }).proof
  const original = await env.send({ ...base, kind: 'legit', proof })
  // an original that was refused (graded as a false deny) leaves nothing to replay
  const status = original.record.status
  if (original.proof === null || status === null || status < 200 || status >= 300) return
  if (!(await pause(waitMs, env.signal))) return
  await env.send({ ...base, kind: 'attack', caseId, proof: original.proof })
}

export const replayDpopJtiAfter1s: AttackModule = {
  id: 'replay.dpop-jti-reuse.after-1s',
  eligible: (identity, rs) => readableTool(identity, rs) !== undefined,
  async fire(env) {
    await replayLater(env, this.id, AFTER_MS)
  },
}

export const replayDpopJtiWindowEnd: AttackModule = {
  id: 'replay.dpop-jti-reuse.window-end',
  eligible: (identity, rs) => readableTool(identity, rs) !== undefined,
  async prepare(kit) {
    const window = kit.target.policy?.dpopProofWindowS
    if (window === undefined) throw new CaseNotCovered('the target declares no DPoP proof acceptance window (policy.dpopProofWindowS)')
    // the original must itself be inside the window, with the margin, when it goes out
    if (window <= WINDOW_END_WAIT_S + 2 * WINDOW_END_MARGIN_S) throw new CaseNotCovered(`the target's DPoP proof window (${window} s) is shorter than the case's wait and margins`)
    return window
  },
  async fire(env) {
    const window = env.prepared as number
    // the copy goes out WINDOW_END_WAIT_S after the original, at about (window - margin) s past iat
    const iat = Math.floor(Date.now() / 1000) - (window - WINDOW_END_MARGIN_S - WINDOW_END_WAIT_S)
    await replayLater(env, this.id, WINDOW_END_WAIT_S * 1000, iat)
  },
}
