/**
 * Who owns a container (or an image) gatecrash created: the harness process, by pid and start time
 * (/proc/<pid>/stat field 22), so a reused pid is never taken for the owner. A harness killed
 * outright cannot stop what it owns; the next start removes what belongs to owners that are gone.
 */
import { readFileSync } from 'node:fs'

/** every container gatecrash starts carries these labels */
export const LABEL = 'dev.gatecrash.component'
export const LABEL_OWNER_PID = 'dev.gatecrash.owner-pid'
/** the owner's start time (/proc/<pid>/stat field 22), so a reused pid is not taken for the owner */
export const LABEL_OWNER_START = 'dev.gatecrash.owner-start'

/** /proc/<pid>/stat fields from the state on (field 3 is [0]); null when there is no such process */
function statOf(pid: number): string[] | null {
  try {
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

export function startTimeOf(pid: number): string | null {
  return statOf(pid)?.[19] ?? null
}

/** labels naming this harness process as the owner */
export function ownerLabels(component: string): Record<string, string> {
  return { [LABEL]: component, [LABEL_OWNER_PID]: String(process.pid), [LABEL_OWNER_START]: startTimeOf(process.pid) ?? '' }
}

/**
 * The owner recorded as (pid, start time) is this process or still running ('' start: not recorded,
 * the pid alone decides). A zombie owner (exited, not reaped yet) is gone.
 */
export function ownerLives(pid: number, start: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  if (pid === process.pid) return true
  const stat = statOf(pid)
  if (stat === null || stat[0] === 'Z' || stat[0] === 'X') return false
  return start === '' || stat[19] === start
}
