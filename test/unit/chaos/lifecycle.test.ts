/**
 * The fault proxy's process lifecycle (issue: "a harness that was killed outright leaves nothing
 * paused or proxied behind that the next start does not clean up"): it dies with its harness, a
 * stale one is killed by the next start, and a live harness's proxy is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isRunning, stateFile } from '../../../harness/chaos/fault-proxy/stale.ts'
import { cleanupStale, startFaultProxy } from '../../../harness/chaos/start-fault-proxy.ts'

const PARENT = join(import.meta.dirname, 'fixtures', 'harness-parent.ts')
let stateDir: string
const spawned: ChildProcess[] = []
const proxyPids: number[] = []

/** a harness stand-in that started a fault proxy: the harness process and the proxy's pid */
async function harnessWithProxy(): Promise<{ harness: ChildProcess; proxyPid: number }> {
  const harness = spawn(process.execPath, [PARENT, stateDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  spawned.push(harness)
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: harness.stdout! })
    rl.once('line', resolve)
    harness.once('exit', (code) => reject(new Error(`harness stand-in exited with ${code}`)))
  })
  const { pid } = JSON.parse(line) as { pid: number }
  proxyPids.push(pid)
  return { harness, proxyPid: pid }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 25) {
    if (check()) return true
    await sleep(25)
  }
  return check()
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'gatecrash-chaos-'))
})

afterEach(async () => {
  for (const c of spawned.splice(0)) c.kill('SIGKILL')
  for (const pid of proxyPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  await rm(stateDir, { recursive: true, force: true })
})

describe('fault proxy process lifecycle', () => {
  it('writes its state file, and exits (removing it) when its parent is killed outright', async () => {
    const { harness, proxyPid } = await harnessWithProxy()
    const state = JSON.parse(await readFile(stateFile(stateDir, proxyPid), 'utf8'))
    expect(state).toMatchObject({ pid: proxyPid, ppid: harness.pid, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) })
    harness.kill('SIGKILL')
    expect(await waitFor(() => !isRunning(proxyPid), 5_000)).toBe(true)
    expect(await waitFor(() => !existsSync(stateFile(stateDir, proxyPid)), 2_000)).toBe(true)
  })

  it('cleanupStale kills a paused proxy whose harness was killed, and removes its state file', async () => {
    const { harness, proxyPid } = await harnessWithProxy()
    process.kill(proxyPid, 'SIGSTOP') // it cannot notice its parent dying
    harness.kill('SIGKILL')
    await waitFor(() => harness.exitCode !== null || harness.signalCode !== null, 2_000)
    expect(isRunning(proxyPid)).toBe(true)
    const result = await cleanupStale(stateDir)
    expect(result.killed).toEqual([proxyPid])
    expect(isRunning(proxyPid)).toBe(false)
    expect(existsSync(stateFile(stateDir, proxyPid))).toBe(false)
  })

  it('startFaultProxy cleans up first; a live harness\'s proxy and a reused pid are left alone', async () => {
    // a state file whose pid now belongs to something that is not a fault proxy
    const bystander = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30_000)'], { stdio: 'ignore' })
    spawned.push(bystander)
    await writeFile(stateFile(stateDir, bystander.pid!), JSON.stringify({ pid: bystander.pid, ppid: 1, url: 'http://127.0.0.1:1', startedAt: '' }))

    await using faults = await startFaultProxy({ stateDir })
    expect(isRunning(bystander.pid!)).toBe(true)
    expect(existsSync(stateFile(stateDir, bystander.pid!))).toBe(false)

    const again = await cleanupStale(stateDir) // this process is alive: its proxy is not stale
    expect(again.killed).toEqual([])
    expect(await faults.client.version()).toMatch(/gatecrash/)
  })

  it('ignores Ctrl-C (the harness heals, then stops it); stop() ends it and removes the state file', async () => {
    const faults = await startFaultProxy({ stateDir })
    process.kill(faults.pid, 'SIGINT')
    await sleep(100)
    expect(await faults.client.version()).toMatch(/gatecrash/)
    await faults.heal()
    await faults.stop()
    await faults.stop() // idempotent
    expect(isRunning(faults.pid)).toBe(false)
    expect(existsSync(stateFile(stateDir, faults.pid))).toBe(false)
  })

  it('exits on SIGTERM, closing its proxies', async () => {
    const faults = await startFaultProxy({ stateDir })
    const proxied = await faults.client.proxyUrl('gatecrash_term', faults.url)
    process.kill(faults.pid, 'SIGTERM')
    expect(await waitFor(() => !isRunning(faults.pid), 5_000)).toBe(true)
    await expect(fetch(`${proxied}/version`)).rejects.toThrow()
    await faults.stop()
  })
})
