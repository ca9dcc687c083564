/**
 * Process faults on a component run in a container (`--container replay-store`): the replay store
 * runs on the imported Node base image through testcontainers, and pause / restart go through
 * Docker (pause/unpause, restart). The same boundary checks as chaos.test.ts (fail closed while
 * paused, exit 99 with `replay-store-fail-open`), plus what the Docker API saw: the container was
 * really paused for the window, restarted, and removed at the end; and the cleanup after a killed
 * harness removes its (paused) containers.
 *
 * Needs a Docker engine; without one the whole file is skipped with a message (CI starts one).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { baseImage, cleanupIfContainersWereUsed, cleanupStaleContainers, CONTAINERS_MARK, dockerAvailable, dockerClient, gatecrashContainers, IMAGE_NODE, LABEL, LABEL_OWNER_PID, markContainersUsed } from '../../targets/reference/container/docker.ts'
import { runCli, scratchDir, writeScenario, type CliResult } from '../helpers/cli.ts'

const engine = await dockerAvailable()
// .ci/run makes the engine ready and says so: there, a missing engine is a failure, not a skip.
if (!engine && process.env.GATECRASH_CI_REQUIRES?.split(',').includes('docker')) throw new Error('CI requires a Docker engine (GATECRASH_CI_REQUIRES=docker) and none answers')
if (!engine) console.warn('chaos-container.test.ts skipped: no Docker engine answers (start dockerd as in docs/platform.md "Docker and testcontainers", or set DOCKER_HOST)')

const SCENARIO = `import { defineScenario, Fault } from 'gatecrash'
export default defineScenario({
  name: 'e2e-chaos-container',
  seed: 13,
  population: { tenants: 3, agents: 24, subAgentsPerAgent: 1, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 30, timeUnit: '1s', duration: '9s', preAllocatedVUs: 32 },
  },
  attacks: { share: 0.4, cases: ['replay.dpop-jti-reuse', 'escalate.tool-scope'] },
  faults: [
    Fault.pause({ component: 'replay-store', at: '1s', for: '2500ms', recoverWithin: '3s' }),
    Fault.restart({ component: 'replay-store', at: '5500ms', for: '2s', recoverWithin: '3s' }),
  ],
  thresholds: { 'gatecrash_warns{case:replay.dpop-jti-reuse,fault:no}': ['count==0'] },
  evidence: { settle: '1s' },
})
`
const PAUSE = 'pause replay-store 1s–3.5s'
const RESTART = 'restart replay-store 5.5s–7.5s'

interface DockerEvent {
  status: string
  id: string
  time: number
  timeNano: number
  owner: number
}

describe.skipIf(!engine)('chaos in containers: process faults through testcontainers', () => {
  let dir: string
  let scenario: string
  const events: DockerEvent[] = []
  let stopEvents = (): void => {}

  beforeAll(async () => {
    dir = await scratchDir()
    scenario = await writeScenario(dir, 'chaos-container.ts', SCENARIO)
    const docker = (await dockerClient()).container.dockerode
    const stream = (await docker.getEvents({ filters: { type: ['container'], label: [`${LABEL}=replay-store`] } })) as NodeJS.ReadableStream & { destroy(): void }
    let buffered = ''
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines.filter((l) => l.trim() !== '')) {
        const e = JSON.parse(line) as { status: string; id: string; time: number; timeNano: number; Actor: { Attributes: Record<string, string> } }
        events.push({ status: e.status, id: e.id, time: e.time, timeNano: e.timeNano, owner: Number(e.Actor.Attributes[LABEL_OWNER_PID]) })
      }
    })
    stopEvents = () => stream.destroy()
  })
  afterAll(() => stopEvents())

  const run = (name: string, flaws: string[] = []): Promise<CliResult> => {
    const out = path.join(dir, name)
    return runCli(['run', scenario, '--target', 'reference', '--container', 'replay-store', ...flaws.flatMap((f) => ['--flaw', f]), '--out', out], { outDir: out })
  }

  const settle = async (): Promise<void> => {
    await new Promise((r) => setTimeout(r, 500)) // the last events reach the stream
  }

  it('correct target: exit 0, both windows injected and healed, fail closed while the container is paused, no container left', async () => {
    const since = events.length
    const r = await run('ok')
    expect(r.code, r.stderr).toBe(0)
    expect(r.runJson.verdict).toBe('ready')
    const faults = r.runJson.faults
    expect(faults.map((f: any) => [f.label, f.healed, f.error])).toEqual([[PAUSE, true, null], [RESTART, true, null]])
    for (const f of faults) {
      expect(f.during.attempts, f.label).toBeGreaterThan(10)
      expect(f.during.breaches, f.label).toBe(0)
      expect(f.during.unrecorded, f.label).toBe(0)
    }
    // while paused, the replay store could not vouch for any proof: legitimate calls were refused (fail closed)
    expect(faults[0].during.legit_success).toBeLessThan(0.5)
    expect(r.runJson.gates.filter((g: any) => g.window && !g.ok)).toEqual([])

    // What Docker saw: one container for the replay store, paused for the window, unpaused, restarted, removed.
    await settle()
    const seen = events.slice(since)
    const ids = [...new Set(seen.map((e) => e.id))]
    expect(ids, JSON.stringify(seen)).toHaveLength(1)
    const statuses = seen.map((e) => e.status)
    for (const s of ['start', 'pause', 'unpause', 'restart', 'destroy']) expect(statuses, statuses.join(' ')).toContain(s)
    const pausedAt = seen.find((e) => e.status === 'pause')!.timeNano
    const unpausedAt = seen.find((e) => e.status === 'unpause')!.timeNano
    const pausedMs = (unpausedAt - pausedAt) / 1e6
    expect(pausedMs).toBeGreaterThan(2_000)
    expect(pausedMs).toBeLessThan(4_000)
    expect(statuses.indexOf('unpause')).toBeLessThan(statuses.indexOf('restart'))
    expect(statuses.at(-1)).toBe('destroy')
    // nothing of that harness is left
    const left = await gatecrashContainers(await dockerClient())
    expect(left.filter((c) => ids.includes(c.id) || c.ownerPid === seen[0].owner)).toEqual([])
  })

  it('replay-store-fail-open in a container: exit 99, the failing gate names the pause window and replay.dpop-jti-reuse', async () => {
    const since = events.length
    const r = await run('replay-store-fail-open', ['replay-store-fail-open'])
    expect(r.code, r.stderr).toBe(99)
    const p = r.runJson.gates.find((g: any) => !g.ok && g.window === PAUSE)
    expect(p).toMatchObject({ metric: `gatecrash_breaches{fault:${PAUSE}}`, cases: ['replay.dpop-jti-reuse'] })
    expect(r.stdout).toContain(`gatecrash_breaches{fault:${PAUSE}}`)
    expect(r.stdout).toContain('replay.dpop-jti-reuse')
    await settle()
    const seen = events.slice(since)
    expect(seen.map((e) => e.status)).toContain('pause')
    expect(seen.at(-1)?.status).toBe('destroy')
  })

  it('cleanup after a killed harness: its containers (paused too) are removed, a live owner’s are not', async () => {
    const client = await dockerClient()
    const gone = await exitedPid()
    const orphan = await labelledContainer(gone)
    await orphan.pause()
    const mine = await labelledContainer(process.pid)
    try {
      const logs: string[] = []
      expect(await cleanupStaleContainers(client, (l) => logs.push(l))).toBeGreaterThanOrEqual(1)
      expect(logs.join('\n')).toContain(`pid ${gone}`)
      const left = (await gatecrashContainers(client)).map((c) => c.id)
      expect(left).not.toContain(orphan.id)
      expect(left).toContain(mine.id)
    } finally {
      await mine.remove({ force: true })
      await orphan.remove({ force: true }).catch(() => {})
    }
  })

  it('a later start without --container still removes what a killed harness left (the containers-used mark)', async () => {
    const client = await dockerClient()
    const gone = await exitedPid()
    const orphan = await labelledContainer(gone)
    await orphan.pause()
    // a state folder of its own: other test files on this engine start containers and mark the shared one
    const stateDir = await scratchDir()
    try {
      await markContainersUsed(stateDir)
      const logs: string[] = []
      await cleanupIfContainersWereUsed((l) => logs.push(l), stateDir)
      expect(logs.join('\n')).toContain(`pid ${gone}`)
      const left = await gatecrashContainers(client)
      expect(left.map((c) => c.id)).not.toContain(orphan.id)
      // the mark goes once no gatecrash container is left; a live harness's (another test's deployment) keeps it
      expect(existsSync(path.join(stateDir, path.basename(CONTAINERS_MARK))), `gatecrash containers left: ${left.length}`).toBe(left.length > 0)
    } finally {
      await orphan.remove({ force: true }).catch(() => {})
    }
  })
})

/** A pid that is gone: a process that has exited. */
async function exitedPid(): Promise<number> {
  const gone = spawn(process.execPath, ['-e', ''])
  await new Promise((r) => gone.once('exit', r))
  return gone.pid!
}

/** A running gatecrash-labelled container owned (by its labels) by `owner`. */
async function labelledContainer(owner: number) {
  const client = await dockerClient()
  const c = await client.container.dockerode.createContainer({
    Image: await baseImage(client),
    Cmd: [IMAGE_NODE, '-e', 'setInterval(() => {}, 1e6)'],
    Labels: { [LABEL]: 'cleanup-test', [LABEL_OWNER_PID]: String(owner) },
    HostConfig: { NetworkMode: 'host' },
  })
  await c.start()
  return c
}

// needs no engine: the flag is checked before anything starts
describe('--container flag', () => {
  it('--container with a component that cannot run in a container: exit 104 listing the allowed ones', async () => {
    const r = await runCli(['run', 'scenarios/chaos-process.ts', '--target', 'reference', '--container', 'as'])
    expect(r.code).toBe(104)
    expect(r.stderr).toContain("--container 'as'")
    expect(r.stderr).toMatch(/allowed: replay-store, evidence-sink/)
  })
})
