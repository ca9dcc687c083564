/**
 * Readiness of a process by its URL: ready once the URL answers with any HTTP status below 500
 * (as Playwright's webServer `url` does). Probes go through the harness's off-path HTTP helper, so
 * they only ever reach loopback (ERR_TARGET_UNSAFE otherwise) and follow no redirect.
 *
 * @example
 * await answers('http://127.0.0.1:9100/health')          // true / false
 * const r = await waitUntilAnswers(url, { timeoutMs: 60_000, signal, gone: () => exitReason })
 */
import { TargetUnsafe } from '../../../harness/contracts/errors.ts'
import { httpRequest } from '../../../harness/protocol/http.ts'

const PROBE_TIMEOUT_MS = 1_000
const POLL_MS = 100

export interface Probe {
  ok: boolean
  /** what the last probe saw: `HTTP 503`, or the transport error */
  saw: string
}

/** One probe. A refused (non-loopback) address throws ERR_TARGET_UNSAFE. */
export async function probe(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<Probe> {
  try {
    const res = await httpRequest(url, { method: 'GET', timeoutMs, headers: { accept: '*/*' } })
    return { ok: res.status < 500, saw: `HTTP ${res.status}` }
  } catch (e) {
    if (e instanceof TargetUnsafe) throw e
    return { ok: false, saw: (e as Error).message }
  }
}

export async function answers(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return (await probe(url, timeoutMs)).ok
}

export type WaitResult = { ready: true } | { ready: false; why: string }

/**
 * Probes until the URL answers below 500, the time is up, `gone()` names a reason to give up (the
 * process exited), or `signal` aborts.
 */
export async function waitUntilAnswers(url: string, o: { timeoutMs: number; signal?: AbortSignal; gone?: () => string | null }): Promise<WaitResult> {
  const deadline = Date.now() + o.timeoutMs
  let last = 'nothing yet'
  for (;;) {
    if (o.signal?.aborted) return { ready: false, why: 'stopped by the user' }
    const gone = o.gone?.()
    if (gone) return { ready: false, why: gone }
    const left = deadline - Date.now()
    if (left <= 0) return { ready: false, why: `${url} did not answer within ${Math.round(o.timeoutMs / 1000)} s (last: ${last})` }
    const p = await probe(url, Math.min(PROBE_TIMEOUT_MS, Math.max(left, 50)))
    if (p.ok) {
      // something answering while the process is gone is someone else's server (its port was taken)
      const goneSince = o.gone?.()
      return goneSince ? { ready: false, why: goneSince } : { ready: true }
    }
    last = p.saw
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(deadline - Date.now(), 0))))
  }
}
