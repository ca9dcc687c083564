/**
 * The Docker engine as testcontainers reaches it, for every target that runs something in a
 * container (the reference target's `--container` components, a profile's deployment containers).
 *
 * testcontainers' reaper (Ryuk) is an image that would have to be pulled, so it is off; the owner
 * labels (owner.ts) and the cleanup after a killed harness (stale-containers.ts) do its job.
 * Containers use host networking and listen on 127.0.0.1, so TESTCONTAINERS_HOST_OVERRIDE is
 * 127.0.0.1 (these machines have /.dockerenv, which would make testcontainers look elsewhere).
 *
 * @example
 * const client = await dockerClient()   // ERR_TARGET_START with a hint when no engine answers
 */
import type { ContainerRuntimeClient } from 'testcontainers'
import { TargetStartFailed } from '../../../harness/contracts/errors.ts'

// Read by testcontainers when it first starts a container; an explicit setting wins.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true'
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1'

const NO_ENGINE_HINT =
  'start a Docker engine (e.g. `apt-get install -y --no-install-recommends docker.io` then ' +
  '`setsid dockerd --bridge=none --iptables=false --ip-forward=false >dockerd.log 2>&1 </dev/null &`) ' +
  'or set DOCKER_HOST; or run without --container'

let clientPromise: Promise<ContainerRuntimeClient> | null = null

/** testcontainers' client for the local engine; ERR_TARGET_START naming how to start one if none answers. */
export function dockerClient(): Promise<ContainerRuntimeClient> {
  clientPromise ??= (async () => {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers')
      return await getContainerRuntimeClient()
    } catch (e) {
      clientPromise = null
      throw new TargetStartFailed(`no Docker engine answers, so components cannot run in containers (${(e as Error).message.split('\n')[0]})`, { cause: e, hint: NO_ENGINE_HINT })
    }
  })()
  return clientPromise
}

/** True when a Docker engine answers (tests use it to skip). */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await dockerClient()
    return true
  } catch {
    return false
  }
}
