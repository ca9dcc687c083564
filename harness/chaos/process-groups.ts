/**
 * Process groups and marks, read from /proc (Linux), for stopping a started program with
 * everything it started in turn, and for cleaning up after a harness killed outright.
 *
 * A program the harness starts in its own process group (`spawn(…, { detached: true })`: the group
 * id is its pid) also gets a mark in its environment, `GATECRASH_PROCESS_MARK=<random>`, which
 * every process it starts inherits. The group finds its members while the leader lives; the mark
 * finds them after the leader is gone or once one left the group (a daemon that called setsid), and
 * proves that a process is ours: a random mark cannot be on a stranger's process, whereas a pid or a
 * group id may have been reused.
 *
 * @example
 * const mark = newProcessMark()
 * const child = spawn(cmd, args, { detached: true, env: { ...env, [PROCESS_MARK_ENV]: mark } })
 * signalGroup(child.pid, 'SIGTERM')
 * groupMembers(child.pid)        // [] once the whole group has exited
 * markedProcesses(mark)          // every live process carrying the mark, wherever it went
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'

export const PROCESS_MARK_ENV = 'GATECRASH_PROCESS_MARK'

export function newProcessMark(): string {
  return randomBytes(12).toString('hex')
}

interface Stat {
  state: string
  pgrp: number
}

function statOf(pid: number): Stat | null {
  try {
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0], pgrp: Number(fields[2]) }
  } catch {
    return null
  }
}

function allPids(): number[] {
  try {
    return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number)
  } catch {
    return []
  }
}

/** Running (not yet reaped: zombies do not count) and not stopped for good. */
export function processLive(pid: number): boolean {
  const stat = statOf(pid)
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X'
}

/** The live members of process group `pgid` (zombies left out). */
export function groupMembers(pgid: number): number[] {
  return allPids().filter((pid) => {
    const stat = statOf(pid)
    return stat !== null && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X'
  })
}

/** The live process `pid` carries `GATECRASH_PROCESS_MARK=<mark>` in its environment (another user's process cannot be read: false). */
export function carriesMark(pid: number, mark: string): boolean {
  if (pid === process.pid) return false
  try {
    const environ = readFileSync(`/proc/${pid}/environ`)
    const needle = Buffer.from(`${PROCESS_MARK_ENV}=${mark}\0`)
    const at = environ.indexOf(needle)
    return (at === 0 || (at > 0 && environ[at - 1] === 0)) && processLive(pid)
  } catch {
    return false
  }
}

/** Live processes carrying the mark, wherever they went (another process group, another session). */
export function markedProcesses(mark: string): number[] {
  return allPids().filter((pid) => carriesMark(pid, mark))
}

/** Signals every member of a process group; false when none is left to signal. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // gone already
  }
}

/** Waits until none of `pids()` is live, or the deadline; resolves with those still live. */
export async function waitGone(pids: () => number[], timeoutMs: number, pollMs = 50): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let left = pids()
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, pollMs))
    left = pids()
  }
  return left
}
