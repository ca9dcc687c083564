/**
 * A harness killed outright leaves its target's processes behind, perhaps paused (SIGSTOP). The next
 * start resumes and, if they do not go away by themselves, kills them — but only processes of a
 * harness that is gone, and only while the pid still runs the command line that was recorded.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { newProcessMark, PROCESS_MARK_ENV } from '../../../harness/chaos/process-groups.ts'
import { cleanupStaleTargets, recordTargetPids } from '../../../harness/chaos/stale-state.ts'

const children: ChildProcess[] = []
let dir: string

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

/** A stand-in for a target component: a node process that only exits when killed. */
function component(): ChildProcess {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', 'gatecrash-test-component'], { stdio: 'ignore' })
  children.push(c)
  return c
}

const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) Z/.test(stat)
  } catch {
    return false
  }
}

/** The pid of a process that has exited: an owner that is gone. */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((r) => c.once('exit', r))
  return c.pid!
}

async function waitStarted(c: ChildProcess): Promise<void> {
  for (let i = 0; i < 100 && !(await readFile(`/proc/${c.pid}/cmdline`, 'utf8').catch(() => '')).includes('gatecrash-test-component'); i++) {
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Rewrites the file a run recorded as if its owner were `owner` (a harness killed outright). */
async function orphan(stateDir: string, owner: number): Promise<void> {
  const d = path.join(stateDir, 'target-pids')
  for (const name of await readdir(d)) {
    const file = path.join(d, name)
    const content = JSON.parse(await readFile(file, 'utf8'))
    content.owner = { pid: owner, cmdline: 'node\0bin/gatecrash.js\0' }
    await writeFile(path.join(d, `${owner}-abcd1234.json`), JSON.stringify(content))
    await rm(file)
  }
}

describe('stale target processes', () => {
  test('a paused process of a killed harness is resumed and killed; the file is removed', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gc-stale-'))
    const c = component()
    await waitStarted(c)
    process.kill(c.pid!, 'SIGSTOP')
    await recordTargetPids(dir, [c.pid!])
    await orphan(dir, await deadPid())
    const logs: string[] = []
    const out = await cleanupStaleTargets(dir, (l) => logs.push(l), 300)
    expect(out).toEqual({ resumed: 1, killed: 1 })
    for (let i = 0; i < 50 && alive(c.pid!); i++) await new Promise((r) => setTimeout(r, 20))
    expect(alive(c.pid!)).toBe(false)
    expect(logs.join('\n')).toMatch(/1 target processes resumed, 1 of them killed/)
    expect(await readdir(path.join(dir, 'target-pids'))).toEqual([])
  })

  test('processes of a harness that is still running (this one) are left alone', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gc-stale-'))
    const c = component()
    await waitStarted(c)
    const rec = await recordTargetPids(dir, [c.pid!])
    expect(await cleanupStaleTargets(dir, () => {}, 100)).toEqual({ resumed: 0, killed: 0 })
    expect(alive(c.pid!)).toBe(true)
    await rec.forget()
    expect(await readdir(path.join(dir, 'target-pids'))).toEqual([])
  })

  test('a recorded pid that now runs something else is never touched', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gc-stale-'))
    const c = component()
    await waitStarted(c)
    await recordTargetPids(dir, [c.pid!])
    // the recorded command line no longer matches (as if the pid had been reused)
    const d = path.join(dir, 'target-pids')
    const [name] = await readdir(d)
    const content = JSON.parse(await readFile(path.join(d, name), 'utf8'))
    content.pids[0].cmdline = 'something-else\0'
    await writeFile(path.join(d, name), JSON.stringify(content))
    await orphan(dir, await deadPid())
    expect(await cleanupStaleTargets(dir, () => {}, 100)).toEqual({ resumed: 0, killed: 0 })
    expect(alive(c.pid!)).toBe(true)
  })

  test('a process group of a killed harness (a deployment it started) is stopped whole: its child\'s child too, and a marked process that left the group', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gc-stale-'))
    const mark = newProcessMark()
    // the leader starts a child in its group and a daemon in a session of its own, prints their pids, then idles
    const script = `
      const { spawn } = require('node:child_process')
      const idle = ['-e', 'setInterval(() => {}, 1000)', '--', 'gatecrash-test-component']
      const inGroup = spawn(process.execPath, idle, { stdio: 'ignore' })
      const daemon = spawn(process.execPath, idle, { stdio: 'ignore', detached: true })
      console.log(inGroup.pid + ' ' + daemon.pid)
      setInterval(() => {}, 1000)`
    const leader = spawn(process.execPath, ['-e', script, '--', 'gatecrash-test-component'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, [PROCESS_MARK_ENV]: mark } })
    children.push(leader)
    const line = await new Promise<string>((resolve) => leader.stdout!.once('data', (c: Buffer) => resolve(c.toString())))
    const [inGroup, daemon] = line.trim().split(' ').map(Number)
    await waitStarted(leader)
    await recordTargetPids(dir, [{ pid: leader.pid!, mark }])
    await orphan(dir, await deadPid())
    const logs: string[] = []
    const out = await cleanupStaleTargets(dir, (l) => logs.push(l), 1_000)
    expect(out.resumed).toBe(3)
    for (const pid of [leader.pid!, inGroup, daemon]) {
      for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20))
      expect(alive(pid), `pid ${pid}`).toBe(false)
    }
    expect(logs.join('\n')).toMatch(/3 processes of a deployment it started stopped/)
    expect(await readdir(path.join(dir, 'target-pids'))).toEqual([])
  })
})
