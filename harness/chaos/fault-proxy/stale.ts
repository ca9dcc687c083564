/**
 * The fault proxy's state files, so a harness that was killed outright leaves nothing behind that
 * the next start does not clean up. Each fault-proxy process writes `<stateDir>/fault-proxy-<pid>.json`
 * (`{ pid, ppid, url, startedAt }`) once it listens and removes it when it exits. A proxy whose
 * harness died exits by itself (its IPC channel closes); one that cannot (paused, hung) is stale,
 * and `cleanupStale` kills it.
 *
 * A recorded process is killed only if /proc/<pid>/cmdline still carries the fault proxy's marker
 * argument (so a reused pid is never touched) and the harness that started it is gone (its
 * recorded parent is dead, or the proxy was re-parented). A proxy of a harness that is still
 * running, in this process or another, is left alone.
 *
 * @example
 *   const { killed } = await cleanupStale('.gatecrash')
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** argv marker of a fault-proxy process, checked in /proc/<pid>/cmdline */
export const FAULT_PROXY_MARKER = '--gatecrash-fault-proxy'

export interface FaultProxyState {
  pid: number
  /** the harness process that started it */
  ppid: number
  url: string
  startedAt: string
}

const FILE = /^fault-proxy-(\d+)\.json$/

export function stateFile(stateDir: string, pid: number): string {
  return join(stateDir, `fault-proxy-${pid}.json`)
}

export async function writeStateFile(stateDir: string, state: FaultProxyState): Promise<void> {
  await mkdir(stateDir, { recursive: true })
  await writeFile(stateFile(stateDir, state.pid), `${JSON.stringify(state)}\n`, { mode: 0o600 })
}

export async function removeStateFile(stateDir: string, pid: number): Promise<void> {
  await rm(stateFile(stateDir, pid), { force: true })
}

/** `/proc/<pid>/stat` fields after the command name: state, ppid; null when there is no such process */
function procStat(pid: number): { state: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { state: rest[0], ppid: Number(rest[1]) }
  } catch {
    return null
  }
}

/** running (or stopped) and not a zombie; without /proc, what signal 0 says */
export function isRunning(pid: number): boolean {
  const stat = procStat(pid)
  if (stat !== null) return stat.state !== 'Z' && stat.state !== 'X'
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** true only when /proc shows the fault proxy's marker argument for this pid */
export function isFaultProxyProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(FAULT_PROXY_MARKER)
  } catch {
    return false
  }
}

function isOwnedByLiveHarness(state: FaultProxyState): boolean {
  const stat = procStat(state.pid)
  return stat !== null && stat.ppid === state.ppid && isRunning(state.ppid)
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (!isRunning(pid)) return true
    await sleep(20)
  }
  return !isRunning(pid)
}

export interface CleanupResult {
  /** stale fault-proxy processes that were killed */
  killed: number[]
  /** state files removed (their process was gone, was not a fault proxy, or was killed) */
  removed: string[]
}

/** Kills fault proxies left behind by dead harnesses and removes their state files. Bounded: ≤ 2 s per process. */
export async function cleanupStale(stateDir: string): Promise<CleanupResult> {
  const result: CleanupResult = { killed: [], removed: [] }
  let names: string[]
  try {
    names = await readdir(stateDir)
  } catch {
    return result // no state directory: nothing was ever started there
  }
  for (const name of names.filter((n) => FILE.test(n)).slice(0, 1_000)) {
    const path = join(stateDir, name)
    let state: FaultProxyState
    try {
      state = JSON.parse(await readFile(path, 'utf8')) as FaultProxyState
      if (!Number.isInteger(state.pid) || state.pid <= 1) throw new TypeError('no pid')
    } catch {
      await rm(path, { force: true })
      result.removed.push(path)
      continue
    }
    if (isRunning(state.pid) && isFaultProxyProcess(state.pid)) {
      if (isOwnedByLiveHarness(state)) continue
      try {
        process.kill(state.pid, 'SIGKILL') // SIGKILL also ends a stopped (SIGSTOP) process
      } catch {
        // it exited in between
      }
      if (!(await waitGone(state.pid, 2_000))) continue // keep the file: the next start tries again
      result.killed.push(state.pid)
    }
    await rm(path, { force: true })
    result.removed.push(path)
  }
  return result
}
