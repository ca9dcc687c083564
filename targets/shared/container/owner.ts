/**
 * Who owns a container (or an image) gatecrash created: the harness process, by pid and start time
 * (/proc/<pid>/stat field 22), so a reused pid is never taken for the owner. A harness killed
 * outright cannot stop what it owns; the next start removes what belongs to owners that are gone.
 */
import { readFileSync } from 'node:fs'
import { pidAlive } from '../../../harness/chaos/stale-state.ts'

/** every container gatecrash starts carries these labels */
export const LABEL = 'dev.gatecrash.component'
export const LABEL_OWNER_PID = 'dev.gatecrash.owner-pid'
/** the owner's start time (/proc/<pid>/stat field 22), so a reused pid is not taken for the owner */
export const LABEL_OWNER_START = 'dev.gatecrash.owner-start'

export function startTimeOf(pid: number): string | null {
  try {
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/** labels naming this harness process as the owner */
export function ownerLabels(component: string): Record<string, string> {
  return { [LABEL]: component, [LABEL_OWNER_PID]: String(process.pid), [LABEL_OWNER_START]: startTimeOf(process.pid) ?? '' }
}

/** The owner recorded as (pid, start time) is this process or still alive ('' start: not recorded, the pid alone decides). */
export function ownerLives(pid: number, start: string): boolean {
  return Number.isInteger(pid) && pid > 0 && (pid === process.pid || (pidAlive(pid) && (start === '' || startTimeOf(pid) === start)))
}
