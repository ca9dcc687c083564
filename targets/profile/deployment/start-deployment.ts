/**
 * Starts a target profile's deployment before a run and stops it after, the way Playwright's
 * `webServer` does: containers, then processes, each in the order given and each ready before the
 * next starts (a later one may depend on an earlier one); stopped in reverse order.
 *
 * - Cleanup first: process groups, deployment containers and images, and running-deployment entries
 *   left by a harness killed outright (their owner is gone) are stopped and removed.
 * - Reuse: when an address of the deployment already answers, reuse.ts decides (same settings,
 *   started by a live gatecrash: reused and never stopped here; otherwise refused).
 * - While it runs: its process groups are recorded under `<stateDir>/target-pids/` (the next start
 *   cleans them up if this harness is killed), its fingerprint under `<stateDir>/deployments/` (for
 *   reuse), and an abrupt process.exit (a second Ctrl-C) sends SIGTERM to its groups on the way out.
 * - Output: `<logsDir>/<name>.log`, every line redacted (log-sink.ts).
 * - Stop: the `stop` signal (the run's first Ctrl-C) or stop(), one promise either way.
 *
 * @example
 * const redactor = new Redactor().register(initialAccessToken)
 * await using deployment = await startDeployment(profile.deployment, {
 *   stateDir: '.gatecrash', logsDir: logsDirFor(runDir), redactor, log, stop: stopSignal, baseDir: path.dirname(profileFile),
 * })
 * // … the run …   then, on the caller's stop path: await deployment.stop()
 */
import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { parseDuration } from '../../../harness/contracts/duration.ts'
import { RunAborted, TargetStartFailed } from '../../../harness/contracts/errors.ts'
import { newProcessMark } from '../../../harness/chaos/process-groups.ts'
import { cleanupStaleTargets, recordTargetPids } from '../../../harness/chaos/stale-state.ts'
import { dockerClient } from '../../shared/container/engine.ts'
import { cleanupIfContainersWereUsed, cleanupStaleContainers, markContainersUsed } from '../../shared/container/stale-containers.ts'
import { cleanupStaleImages } from './container-image.ts'
import { DeploymentContainer } from './deployment-container.ts'
import { DeploymentProcess } from './deployment-process.ts'
import { fingerprint, settingsOf } from './fingerprint.ts'
import { ComponentLog, openLogsDir } from './log-sink.ts'
import { answeringUrls, reuseOrRefuse } from './reuse.ts'
import { announceDeployment, forgetStaleDeployments } from './running-deployments.ts'
import { checkDeploymentSpec } from './spec-check.ts'
import { DEFAULT_READY_TIMEOUT, type DeploymentSpec } from './spec.ts'
import { componentsOf, urlsOf, type StartDeploymentOptions, type StartedDeployment } from './started-deployment.ts'
import { startFailed } from './start-failure.ts'
import { terminateOnExit } from './terminate-on-exit.ts'

const timeoutOf = (t: string | undefined): number => parseDuration(t ?? DEFAULT_READY_TIMEOUT) ?? 60_000

async function engine(): Promise<Awaited<ReturnType<typeof dockerClient>>> {
  try {
    return await dockerClient()
  } catch (e) {
    throw new TargetStartFailed(`deployment: ${(e as Error).message}`, {
      cause: e,
      hint: 'start a Docker engine (docs/platform.md "Docker and testcontainers") or set DOCKER_HOST; or take `containers` out of the profile\'s deployment',
    })
  }
}

/** What a harness killed outright left: its process groups, its containers and images, its running-deployment entries. */
async function cleanupAfterKilledHarnesses(spec: DeploymentSpec, stateDir: string, say: (line: string) => void): Promise<void> {
  await cleanupStaleTargets(stateDir, say)
  await forgetStaleDeployments(stateDir)
  if ((spec.containers ?? []).length > 0) {
    const client = await engine()
    await cleanupStaleContainers(client, say)
    await cleanupStaleImages(client, say)
    await markContainersUsed(stateDir)
  } else if (existsSync(path.join(stateDir, 'containers-used'))) {
    // an earlier start here ran containers: best effort, no engine means nothing of theirs runs
    await dockerClient().then(
      async (client) => {
        await cleanupStaleContainers(client, say) // containers first: an image in use cannot go
        await cleanupStaleImages(client, say)
      },
      () => {},
    )
    await cleanupIfContainersWereUsed(say, stateDir) // and the mark, once nothing is left
  }
}

export async function startDeployment(spec: DeploymentSpec, o: StartDeploymentOptions): Promise<StartedDeployment> {
  checkDeploymentSpec(spec, { file: 'the deployment given to startDeployment' }) // the safety checks hold whatever the caller checked
  const say = o.log ?? (() => {})
  const baseDir = path.resolve(o.baseDir ?? process.cwd())
  const stopGraceMs = o.stopGraceMs ?? 5_000
  const aborted = (): RunAborted => new RunAborted('deployment: stopped by the user before it was ready', { hint: 'what had started was stopped again' })
  if (o.stop?.aborted) throw aborted()

  await cleanupAfterKilledHarnesses(spec, o.stateDir, say)
  const settings = await settingsOf(spec, baseDir)
  const answering = await answeringUrls(spec)
  if (answering.length > 0) return reuseOrRefuse({ spec, stateDir: o.stateDir, settings, answering, log: say, signal: o.stop })

  const logsDir = await openLogsDir(o.logsDir)
  const pidRecord = await recordTargetPids(o.stateDir, [])
  const announced = await announceDeployment(o.stateDir, fingerprint(settings), urlsOf(spec))
  const containers: DeploymentContainer[] = []
  const processes: { unit: DeploymentProcess; mark: string }[] = []
  const groups = (): { pid: number; mark: string }[] => processes.flatMap((p) => (p.unit.pid !== undefined ? [{ pid: p.unit.pid, mark: p.mark }] : []))
  const offExit = terminateOnExit(groups)

  let stopping: Promise<void> | null = null
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      o.stop?.removeEventListener('abort', onAbort)
      await announced.forget() // first: nobody reuses a deployment that is going away
      const errors: unknown[] = []
      for (const u of [...processes.map((p) => p.unit)].reverse()) await u.stop().catch((e) => errors.push(e))
      for (const c of [...containers].reverse()) await c.stop().catch((e) => errors.push(e))
      offExit()
      await pidRecord.forget()
      if (errors.length > 0) throw new AggregateError(errors, 'deployment: some components did not stop cleanly')
    })())
  const onAbort = (): void => void stop().catch((e) => say(`deployment: ${(e as Error).message}`))

  // While it starts, the loop itself watches the signal (a stop running beside it would miss what is starting).
  try {
    for (const spec_ of spec.containers ?? []) {
      if (o.stop?.aborted) throw aborted()
      const log = await ComponentLog.open(logsDir, spec_.name, o.redactor)
      say(`deployment: building and starting container ${spec_.name}`)
      try {
        containers.push(await DeploymentContainer.start({ spec: spec_, baseDir, log, redactor: o.redactor, timeoutMs: timeoutOf(spec_.timeout), stopGraceMs, say }))
      } catch (e) {
        await log.close()
        throw e
      }
      say(`deployment: container ${spec_.name} ready`)
    }
    for (const p of spec.processes ?? []) {
      if (o.stop?.aborted) throw aborted()
      const log = await ComponentLog.open(logsDir, p.name, o.redactor)
      const cwd = path.resolve(baseDir, p.cwd ?? '.')
      if (!(await stat(cwd).catch(() => null))?.isDirectory()) {
        await log.close()
        throw startFailed({ name: p.name, why: `its working directory ${cwd} is not a directory`, redactor: o.redactor, hint: 'processes[].cwd is relative to the profile file' })
      }
      const mark = newProcessMark()
      const unit = DeploymentProcess.spawn({ spec: p, baseDir, log, mark, stopGraceMs, onExit: say })
      processes.push({ unit, mark })
      await pidRecord.update(groups()) // before waiting: a harness killed now leaves it on record
      const timeoutMs = timeoutOf(p.timeout)
      const r = await unit.waitReady(timeoutMs, o.stop)
      if (!r.ready) {
        if (o.stop?.aborted) throw aborted()
        // stopped first: its last output (stdout can trail its exit) is in the log and the tail then
        await unit.stop().catch(() => {})
        const program = p.command[0]
        throw startFailed({
          name: p.name,
          why: r.why,
          log,
          redactor: o.redactor,
          hint: unit.gone?.startsWith('could not be started')
            ? `is ${JSON.stringify(program)} installed and on PATH? The command runs without a shell (write ["sh", "-c", "…"] for one)`
            : `it is ready once ${p.ready.url} answers with a status below 500, within its timeout (${p.timeout ?? DEFAULT_READY_TIMEOUT}); its output is quoted above`,
        })
      }
      say(`deployment: ${p.name} ready at ${p.ready.url} (pid ${unit.pid})`)
    }
    if (o.stop?.aborted) throw aborted()
  } catch (e) {
    await stop().catch((err) => say(`deployment: ${(err as Error).message}`))
    throw e
  }
  o.stop?.addEventListener('abort', onAbort, { once: true })

  const pidOf = (name: string): number | undefined => processes.find((p) => p.unit.name === name)?.unit.pid
  return {
    components: componentsOf(spec, pidOf),
    reused: false,
    logsDir,
    pids: () => groups().map((g) => g.pid),
    stop,
    [Symbol.asyncDispose]: stop,
  }
}
