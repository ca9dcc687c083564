/**
 * On an abrupt exit (a second Ctrl-C calls process.exit) nothing asynchronous runs any more: send
 * SIGTERM to the deployment's process groups and marked processes synchronously on the way out.
 * Whatever ignores it is stopped by the next start (its record stays in the state dir).
 *
 * @example
 * const off = terminateOnExit(() => [{ pid, mark }])
 * off()   // once the deployment was stopped the normal way
 */
import { carriesMark, markedProcesses, signalGroup, signalPid } from '../../../harness/chaos/process-groups.ts'

export function terminateOnExit(groups: () => readonly { pid: number; mark: string }[]): () => void {
  const onExit = (): void => {
    for (const g of groups()) {
      // the leader still carries the mark: the group id is still this deployment's
      if (carriesMark(g.pid, g.mark)) {
        signalGroup(g.pid, 'SIGCONT')
        signalGroup(g.pid, 'SIGTERM')
      }
      for (const pid of markedProcesses(g.mark)) signalPid(pid, 'SIGTERM')
    }
  }
  process.on('exit', onExit)
  return () => process.off('exit', onExit)
}
