/**
 * The error a deployment that does not start gives: ERR_TARGET_START, with what went wrong, the
 * tail of that component's output (redacted like its log file) and a hint.
 */
import { TargetStartFailed } from '../../../harness/contracts/errors.ts'
import type { Redactor } from '../../../harness/protocol/redact.ts'
import type { ComponentLog } from './log-sink.ts'

export function startFailed(o: { name: string; why: string; log?: ComponentLog; redactor: Redactor; hint: string; cause?: unknown }): TargetStartFailed {
  const tail = o.log?.tail().trim() ?? ''
  const output = tail === '' ? '\n(it printed nothing)' : `\n--- ${o.name}: last lines of its output (redacted) ---\n${tail}`
  const where = o.log !== undefined ? ` Its whole output: ${o.log.file}` : ''
  return new TargetStartFailed(`deployment: ${o.name} did not start: ${o.redactor.redact(o.why)}${output}`, { cause: o.cause, hint: `${o.hint}${where}` })
}
