/**
 * The cleanup after a harness that was killed: containers carry their owner's pid and start time
 * (owner.ts); those of owners that are gone are unpaused and removed at the next start.
 *
 * @example
 * await cleanupStaleContainers(client, log)          // containers of harnesses that are gone
 * await markContainersUsed()                         // later starts look even without --container
 */
import { existsSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ContainerRuntimeClient } from 'testcontainers'
import { dockerClient } from './engine.ts'
import { LABEL, LABEL_OWNER_PID, LABEL_OWNER_START, ownerLives } from './owner.ts'

/**
 * Removes the containers of harnesses that are gone (a harness killed outright cannot stop its
 * containers; a paused one would stay paused for good): unpaused first, then removed. Containers
 * of live harnesses, this one included, are left alone. Returns how many were removed.
 */
export async function cleanupStaleContainers(client: ContainerRuntimeClient, log: (line: string) => void = () => {}): Promise<number> {
  const docker = client.container.dockerode
  const list = await docker.listContainers({ all: true, filters: { label: [LABEL] } })
  let removed = 0
  for (const info of list) {
    const pid = Number(info.Labels[LABEL_OWNER_PID])
    if (ownerLives(pid, info.Labels[LABEL_OWNER_START] ?? '')) continue
    const c = docker.getContainer(info.Id)
    try {
      if (info.State === 'paused') await c.unpause()
      await c.remove({ force: true, v: true })
      removed++
      log(`removed container ${info.Names[0]?.replace(/^\//, '') ?? info.Id.slice(0, 12)} (${info.Labels[LABEL]}) left behind by a harness that was killed (pid ${pid})`)
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) log(`could not remove container ${info.Id.slice(0, 12)} left by a killed harness: ${(e as Error).message}`)
    }
  }
  return removed
}

/** Gatecrash containers that exist now (any owner): for tests and diagnostics. */
export async function gatecrashContainers(client: ContainerRuntimeClient): Promise<{ id: string; name: string; component: string; state: string; ownerPid: number }[]> {
  const list = await client.container.dockerode.listContainers({ all: true, filters: { label: [LABEL] } })
  return list.map((i) => ({ id: i.Id, name: i.Names[0]?.replace(/^\//, '') ?? '', component: i.Labels[LABEL], state: i.State, ownerPid: Number(i.Labels[LABEL_OWNER_PID]) }))
}

/**
 * Marks that this working directory has run components in containers, so that any later start
 * (with or without `--container`) looks for containers a killed harness left behind. Without the
 * mark a start never talks to the container engine.
 */
export const CONTAINERS_MARK = path.join('.gatecrash', 'containers-used')

const markIn = (stateDir: string | undefined): string => (stateDir === undefined ? CONTAINERS_MARK : path.join(stateDir, 'containers-used'))

/** Writes the mark (`CONTAINERS_MARK`, or `containers-used` under `stateDir`). */
export async function markContainersUsed(stateDir?: string): Promise<void> {
  const mark = markIn(stateDir)
  await mkdir(path.dirname(mark), { recursive: true })
  await writeFile(mark, `${new Date().toISOString()}\n`)
}

/**
 * At a start without containers: if an earlier start here used containers, removes the ones whose
 * harness is gone, and the mark once none is left. Best effort: no engine, nothing to do.
 */
export async function cleanupIfContainersWereUsed(log: (line: string) => void = () => {}, stateDir?: string): Promise<void> {
  const mark = markIn(stateDir)
  if (!existsSync(mark)) return
  try {
    const client = await dockerClient()
    await cleanupStaleContainers(client, log)
    if ((await gatecrashContainers(client)).length === 0) await rm(mark, { force: true })
  } catch {
    // no engine answers: its containers cannot be running either
  }
}
