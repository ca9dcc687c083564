/**
 * Reuse of a deployment that already answers (Playwright's `reuseExistingServer`), allowed only for
 * one gatecrash started with the same settings and still runs: a deployment started with another
 * misconfiguration switch in its env, or one gatecrash did not start, would make the run test
 * something other than the profile says. A reused deployment is never stopped by the run reusing it.
 *
 * @example
 * const answering = await answeringUrls(spec)
 * if (answering.length > 0) return await reuseOrRefuse({ spec, stateDir, settings, answering, log })
 */
import { TargetStartFailed } from '../../../harness/contracts/errors.ts'
import { parseDuration } from '../../../harness/contracts/duration.ts'
import { differingSettings } from './fingerprint.ts'
import { answers, waitUntilAnswers } from './ready-probe.ts'
import { findRunningDeployment } from './running-deployments.ts'
import { DEFAULT_READY_TIMEOUT, type DeploymentSpec } from './spec.ts'
import { componentsOf, urlsOf, type StartedDeployment } from './started-deployment.ts'

/** The deployment's URLs that answer now (before anything was started). */
export async function answeringUrls(spec: DeploymentSpec): Promise<string[]> {
  const urls = urlsOf(spec)
  const answering = await Promise.all(urls.map(async (u) => ((await answers(u)) ? u : null)))
  return answering.filter((u): u is string => u !== null)
}

export async function reuseOrRefuse(o: { spec: DeploymentSpec; stateDir: string; settings: Record<string, string>; answering: string[]; log: (line: string) => void; signal?: AbortSignal }): Promise<StartedDeployment> {
  const url = o.answering[0]
  if (o.spec.reuseExisting === false) {
    throw new TargetStartFailed(`deployment: something already answers at ${url}, and the profile says reuseExisting: false`, {
      hint: `stop what runs at ${new URL(url).origin}, or let gatecrash reuse a deployment it started with the same settings (reuseExisting: true, the default)`,
    })
  }
  const running = await findRunningDeployment(o.stateDir, url)
  if (running === null) {
    throw new TargetStartFailed(`deployment: something already answers at ${url}, but no running gatecrash started it (no deployment of a live harness is recorded under ${o.stateDir})`, {
      hint: `stop what runs at ${new URL(url).origin} so that gatecrash starts the deployment itself, or leave \`deployment\` out of the profile to test a deployment you start yourself`,
    })
  }
  const differ = differingSettings(running.fingerprint, o.settings)
  if (differ.length > 0) {
    throw new TargetStartFailed(`deployment: a deployment already answers at ${url} but was started with other settings (${differ.join(', ')} differ${differ.length === 1 ? 's' : ''})`, {
      hint: `stop it (gatecrash pid ${running.owner.pid} started it; its Ctrl-C stops it), or run with the settings it was started with; reuseExisting: false never reuses a running deployment`,
    })
  }
  // the same deployment, maybe still starting: every address must answer
  for (const p of o.spec.processes ?? []) {
    const r = await waitUntilAnswers(p.ready.url, { timeoutMs: parseDuration(p.timeout ?? DEFAULT_READY_TIMEOUT) ?? 60_000, signal: o.signal })
    if (!r.ready) throw new TargetStartFailed(`deployment: the running deployment gatecrash pid ${running.owner.pid} started is not ready: ${r.why}`, { hint: `stop it (its Ctrl-C) so that this run starts its own` })
  }
  o.log(`deployment: reusing the one gatecrash pid ${running.owner.pid} started at ${running.started_at} with the same settings; this run will not stop it`)
  const stop = async (): Promise<void> => {}
  return { components: componentsOf(o.spec), reused: true, logsDir: '', pids: () => [], stop, [Symbol.asyncDispose]: stop }
}
