/**
 * What a harness killed outright (SIGKILL, OOM, a closed terminal) may leave behind: target
 * processes it had paused (SIGSTOP: they never see their parent go) or orphaned. Each run records
 * its target's pids, with each process's command line, in `.gatecrash/target-pids/<harness pid>-<run>.json`
 * (one file per run, so parallel runs never touch each other's processes) and removes the file
 * when it ends. The next start cleans up after owners that are gone: SIGCONT, a moment to exit on
 * their own (they shut down when their parent's IPC channel is gone), then SIGKILL — only for a pid
 * that is still alive and still runs the very command line recorded (never a reused pid).
 *
 * A program started in its own process group with a process mark (process-groups.ts: a deployment
 * the harness started for a target profile) is recorded as a group: the next start sends SIGTERM
 * (and SIGCONT) to its whole group while the leader is still the recorded process, and to every
 * process carrying its mark; whatever is left after the grace period gets SIGKILL. Such programs do
 * not exit with their parent, so without this they would run for good.
 *
 * @example
 * ```ts
 * await cleanupStaleTargets('.gatecrash', log)            // at start
 * const pids = await recordTargetPids('.gatecrash', target.chaos.pids())
 * await pids.update([{ pid: child.pid, mark }])            // a process group with its mark
 * const off = continueOnExit(() => target.chaos.pids())   // an abrupt process.exit still SIGCONTs
 * await pids.update(target.chaos.pids())                  // after a restart
 * off(); await pids.forget()
 * ```
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { carriesMark, groupMembers, markedProcesses, signalGroup, signalPid } from './process-groups.ts'

interface PidEntry {
  pid: number
  cmdline: string
  /** the pid leads its own process group, and every process it started carries this mark */
  group?: { mark: string }
}

/** a pid, or the leader of a process group started with a process mark */
export type TrackedProcess = number | { pid: number; mark: string }

interface OwnerFile {
  owner: PidEntry
  started_at: string
  pids: PidEntry[]
}

const dirOf = (stateDir: string): string => path.join(stateDir, 'target-pids')

function cmdlineOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return null
  }
}

/** The process exists (EPERM: it does, but is not ours to signal). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Still the same process: alive and running the recorded command line (a reused pid is not). */
function same(entry: PidEntry): boolean {
  return entry.cmdline !== '' && pidAlive(entry.pid) && cmdlineOf(entry.pid) === entry.cmdline
}

const signal = signalPid

type GroupEntry = PidEntry & { group: { mark: string } }

/** The group's leader is still the recorded process: same command line, and it carries the mark. */
function leaderLives(entry: GroupEntry): boolean {
  return same(entry) && carriesMark(entry.pid, entry.group.mark)
}

/** The live processes a group entry stands for: its whole group while the leader lives, and every process with its mark. */
function groupProcesses(entry: GroupEntry): number[] {
  const members = new Set(markedProcesses(entry.group.mark))
  if (leaderLives(entry)) for (const pid of groupMembers(entry.pid)) members.add(pid)
  return [...members]
}

export interface PidRecord {
  /** writes the pids again (a restarted component has a new one, a deployment a new process) */
  update(pids: readonly TrackedProcess[]): Promise<void>
  /** removes the file: call once the target has stopped */
  forget(): Promise<void>
}

/** Records this harness's target pids in its own file under `<stateDir>/target-pids/`. */
export async function recordTargetPids(stateDir: string, pids: readonly TrackedProcess[]): Promise<PidRecord> {
  const dir = dirOf(stateDir)
  await mkdir(dir, { recursive: true })
  // One file per run (a process may run several at once); the owner pid tells whether it is stale.
  const file = path.join(dir, `${process.pid}-${randomBytes(4).toString('hex')}.json`)
  const startedAt = new Date().toISOString()
  const owner = { pid: process.pid, cmdline: cmdlineOf(process.pid) ?? '' }
  // Every pid ever recorded stays listed (a killed one's pid may be reused, but then its command line differs).
  const known = new Map<number, PidEntry>()
  let writing: Promise<void> = Promise.resolve()
  let forgotten = false
  const update = (list: readonly TrackedProcess[]): Promise<void> => {
    for (const tracked of list) {
      const pid = typeof tracked === 'number' ? tracked : tracked.pid
      const cmdline = cmdlineOf(pid)
      // a group is kept even when its leader is gone already: its mark still finds what it started
      if (typeof tracked !== 'number') known.set(pid, { pid, cmdline: cmdline ?? '', group: { mark: tracked.mark } })
      else if (cmdline !== null) known.set(pid, { pid, cmdline })
    }
    const content: OwnerFile = { owner, started_at: startedAt, pids: [...known.values()] }
    // write and rename, so a cleanup never reads a half-written file
    const write = async (): Promise<void> => {
      if (forgotten) return
      await writeFile(`${file}.tmp`, JSON.stringify(content, null, 2))
      await rename(`${file}.tmp`, file)
    }
    writing = writing.then(write).catch(() => {})
    return writing
  }
  await update(pids)
  return {
    update,
    async forget() {
      forgotten = true
      await writing
      await rm(file, { force: true })
      await rm(`${file}.tmp`, { force: true })
    },
  }
}

/**
 * Cleans up after harnesses that are gone: their paused or orphaned target processes are resumed,
 * given `graceMs` to exit, then killed; recorded process groups get SIGTERM at once (with SIGCONT),
 * then SIGKILL. Files of live harnesses are left alone.
 */
export async function cleanupStaleTargets(stateDir: string, log: (line: string) => void, graceMs = 1_000): Promise<{ resumed: number; killed: number }> {
  const dir = dirOf(stateDir)
  const names = await readdir(dir).catch(() => [] as string[])
  let resumed = 0
  let killed = 0
  for (const name of names.filter((n) => /^\d+-[0-9a-f]+\.json$/.test(n))) {
    const file = path.join(dir, name)
    let content: OwnerFile
    try {
      content = JSON.parse(await readFile(file, 'utf8')) as OwnerFile
    } catch {
      await rm(file, { force: true })
      continue
    }
    // that harness is still running (this very process included: another run of it may be live)
    if (content.owner.pid === process.pid || same(content.owner)) continue
    const left = content.pids.filter((p) => p.group === undefined && same(p))
    for (const p of left) signal(p.pid, 'SIGCONT')
    const groups: GroupEntry[] = content.pids.flatMap((p) => (p.group !== undefined ? [{ ...p, group: p.group }] : []))
    const grouped = (): number[] => [...new Set(groups.flatMap(groupProcesses))]
    const inGroups = grouped()
    for (const sig of ['SIGCONT', 'SIGTERM'] as const) {
      for (const g of groups) if (leaderLives(g)) signalGroup(g.pid, sig)
      for (const pid of inGroups) signal(pid, sig)
    }
    resumed += left.length + inGroups.length
    const deadline = Date.now() + graceMs
    while ((left.some(same) || grouped().length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    const stuck = left.filter(same)
    for (const p of stuck) signal(p.pid, 'SIGKILL')
    const stuckInGroups = grouped()
    for (const g of groups) if (leaderLives(g)) signalGroup(g.pid, 'SIGKILL')
    for (const pid of stuckInGroups) signal(pid, 'SIGKILL')
    killed += stuck.length + stuckInGroups.length
    if (left.length > 0) log(`cleaned up after a harness that was killed (pid ${content.owner.pid}): ${left.length} target processes resumed, ${stuck.length} of them killed`)
    if (inGroups.length > 0) log(`cleaned up after a harness that was killed (pid ${content.owner.pid}): ${inGroups.length} processes of a deployment it started stopped, ${stuckInGroups.length} of them with SIGKILL`)
    await rm(file, { force: true })
  }
  return { resumed, killed }
}

/**
 * On an abrupt exit (a second Ctrl-C calls process.exit) heal what can be healed synchronously:
 * SIGCONT every target process, so a paused one can see its parent is gone and exit.
 */
export function continueOnExit(pids: () => readonly number[]): () => void {
  const onExit = (): void => {
    for (const pid of pids()) signal(pid, 'SIGCONT')
  }
  process.on('exit', onExit)
  return () => process.off('exit', onExit)
}
