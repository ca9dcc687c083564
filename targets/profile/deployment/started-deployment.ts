/**
 * What startDeployment() takes and gives back, for the profile adapter.
 */
import type { StartedComponent } from '../../../harness/contracts/target.ts'
import type { Redactor } from '../../../harness/protocol/redact.ts'
import type { DeploymentSpec } from './spec.ts'

export interface StartDeploymentOptions {
  /**
   * where the harness keeps what a later start needs after a harness killed outright (`.gatecrash`):
   * the pids and process groups to clean up, and the fingerprints of running deployments for reuse
   */
  stateDir: string
  /** the logs folder, BESIDE the run directory (`logsDirFor(runDir)`: runs/<run-id>.logs), never inside it */
  logsDir: string
  /** every line of the deployment's output goes through it; register the run's secrets with it first */
  redactor: Redactor
  /** the harness's own progress lines (not the deployment's output, which goes to the logs folder) */
  log?: (line: string) => void
  /** the run's stop (first Ctrl-C): aborts a start in progress (ERR_RUN_ABORTED), stops a started deployment */
  stop?: AbortSignal
  /** relative paths in the spec (cwd, dockerfile, context) resolve here: the profile file's folder (default: the working directory) */
  baseDir?: string
  /** time between SIGTERM and SIGKILL (and a container's stop timeout), ms (default 5000) */
  stopGraceMs?: number
}

export interface StartedDeployment extends AsyncDisposable {
  /** containers then processes, in start order; a process's url is its ready URL's origin, a container's its `url` ('' without one) */
  components: StartedComponent[]
  /** an already running deployment gatecrash started with the same settings: never stopped by this one */
  reused: boolean
  /** where its output went (empty for a reused deployment: its owner's logs folder has it) */
  logsDir: string
  /** pids of the process group leaders it started (none when reused) */
  pids(): number[]
  /**
   * Stops everything in reverse start order (a no-op when reused). Idempotent: the stop signal and
   * a caller's own stop path get the same promise, which the caller awaits.
   */
  stop(): Promise<void>
}

export function componentsOf(spec: DeploymentSpec, pidOf: (name: string) => number | undefined = () => undefined): StartedComponent[] {
  return [
    ...(spec.containers ?? []).map((c) => ({ name: c.name, url: c.url !== undefined ? new URL(c.url).origin : '' })),
    ...(spec.processes ?? []).map((p) => ({
      name: p.name,
      url: new URL(p.ready.url).origin,
      get pid() {
        return pidOf(p.name)
      },
    })),
  ]
}

/** The URLs that tell whether the deployment already answers: every process's ready URL and every container's url. */
export function urlsOf(spec: DeploymentSpec): string[] {
  return [...(spec.containers ?? []).flatMap((c) => (c.url !== undefined ? [c.url] : [])), ...(spec.processes ?? []).map((p) => p.ready.url)]
}
