/** Process lifecycle of the reference target: start, describe, stop without leaving processes. */
import { fork } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { TargetStartFailed } from '../../../harness/contracts/errors.ts'
import { ProcessComponent } from '../../../targets/reference/process-component.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { populate, TENANT } from './helpers/population.ts'
import { World } from './helpers/world.ts'

const HAS_PROC = existsSync('/proc/self/stat')

/** Running, not merely a zombie waiting for pid 1 (which may reap slowly) to collect it. */
function alive(pid: number): boolean {
  if (HAS_PROC) {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    } catch {
      return false
    }
  }
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('reference target processes', () => {
  let world: World
  beforeAll(async () => {
    world = await World.start()
  })
  afterAll(async () => {
    await world?.stop()
  })

  test('StartedTarget describes every loopback process (sink, replay store, AS, a front and replicas per resource server), tools and capabilities', () => {
    const t = world.target
    expect(t).toMatchObject({ name: 'reference', version: expect.stringMatching(/^\d+\.\d+\.\d+/), flaws: [], evidence: { kind: 'http-cursor' } })
    expect(t.capabilities).toMatchObject({ dpop: true, tokenExchange: true, clientCredentials: true, registration: true, replicas: 2 })
    expect(t.resources[0]).toMatchObject({ id: 'rs-1', audience: t.resources[0].origin })
    expect(t.resources[0].tools.map((x) => x.name)).toEqual(['ticket.read', 'customer.read', 'refund.issue'])
    expect(t.resources[1]).toMatchObject({ id: 'rs-2', audience: t.resources[1].origin })
    expect(t.resources[1].tools.map((x) => x.name)).toEqual(['kb.read'])
    expect(t.components.map((c) => c.name)).toEqual(['evidence-sink', 'replay-store', 'as', 'rs-1/front', 'rs-1/0', 'rs-1/1', 'rs-2/front', 'rs-2/0', 'rs-2/1'])
    expect(t.components.find((c) => c.name === 'rs-1/front')?.url).toBe(t.resources[0].origin)
    for (const c of t.components) expect(c.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(t.components.every((c) => alive(c.pid!))).toBe(true)
  })

  test('stop() flushes evidence on SIGTERM (a call just before it is in the sink log on disk) and ends every component', async () => {
    const pop = await populate(world)
    const res = await world.call(pop.agent, pop.agentToken, 'GET', `/t/${TENANT}/tickets/LAST`)
    expect(res.status).toBe(200)
    const pids = world.target.components.map((c) => c.pid!)
    await world.target.stop()
    await world.target.stop() // idempotent
    expect(pids.filter(alive)).toEqual([])
    const lines = (await readFile(join(world.dataDir, 'evidence.jsonl'), 'utf8')).trim().split('\n')
    const records = lines.map((l) => JSON.parse(l) as EvidenceRecord)
    expect(records.filter((r) => r.correlation.trace_id === res.traceId)).toHaveLength(1)
  })

  test('a component that never reports ready → ERR_TARGET_START with its stderr tail, and it is killed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatecrash-stuck-'))
    const entry = join(dir, 'stuck.ts')
    await writeFile(entry, "process.stderr.write('stuck: waiting for a database that never comes\\n')\nsetInterval(() => {}, 1000)\n")
    try {
      // generous: on a loaded 2-core box Node itself can take a second to start and write the line
      const stuck = ProcessComponent.fork({ name: 'stuck', entry, readyTimeoutMs: 4000 })
      const err = await stuck.start({}).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TargetStartFailed)
      expect(err).toMatchObject({ code: 'ERR_TARGET_START' })
      expect((err as Error).message).toContain('waiting for a database that never comes')
      expect(stuck.pid !== undefined && alive(stuck.pid)).toBe(false)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('components exit on their own when the parent dies (IPC disconnect)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatecrash-orphan-'))
    const parent = fork(fileURLToPath(new URL('./helpers/orphan-parent.ts', import.meta.url)), [dir], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    try {
      const pids = await new Promise<number[]>((resolve, reject) => {
        parent.once('message', (m: { pids: number[] }) => resolve(m.pids))
        parent.once('exit', (code) => reject(new Error(`orphan parent exited early (${code})`)))
      })
      expect(pids.every(alive)).toBe(true)
      parent.kill('SIGKILL')
      const deadline = Date.now() + 5_000
      while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      expect(pids.filter(alive)).toEqual([])
    } finally {
      parent.kill('SIGKILL')
      await rm(dir, { recursive: true, force: true })
    }
  })
})
