/**
 * Re-grade a run directory offline from its logs (design.md: the oracle is a pure function, so a
 * finished or crashed run can be graded again, e.g. after a catalog update).
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { AttemptRecord } from '../attempt.ts'
import { RunDirFailed } from '../errors.ts'
import type { EvidenceRecord } from '../evidence/record.ts'
import { parseDuration } from '../scenario/duration.ts'
import { readJsonLines } from './attempt-log.ts'
import { gradeRun, type RunContext } from './finalize.ts'
import type { Reporter } from './reporter.ts'
import { RUN_FILES } from './run-dir.ts'
import type { RunJson } from './run-json.ts'

export async function regrade(dir: string, options: { reporters: Reporter[]; log: (l: string) => void }): Promise<RunJson> {
  let ctx: RunContext
  try {
    ctx = JSON.parse(await readFile(path.join(dir, RUN_FILES.context), 'utf8')) as RunContext
  } catch (e) {
    throw new RunDirFailed(`${dir} is not a gatecrash run directory (no readable ${RUN_FILES.context})`, {
      cause: e,
      hint: 'pass a folder under runs/ written by `gatecrash run`',
    })
  }
  ctx.dir = path.resolve(dir)
  ctx.endedAt ??= new Date().toISOString()
  // A run that died before finalizing never recorded why: say so rather than call it complete.
  const hasRunJson = await readFile(path.join(dir, RUN_FILES.runJson), 'utf8').then(() => true, () => false)
  if (!hasRunJson) ctx.stoppedEarly ??= 'the run ended before it was finalized; re-graded from its logs'
  const attempts = await readJsonLines<AttemptRecord>(path.join(dir, RUN_FILES.attempts)).catch(() => [] as AttemptRecord[])
  const evidence = await readJsonLines<EvidenceRecord>(path.join(dir, RUN_FILES.evidence)).catch(() => [] as EvidenceRecord[])
  const settleMs = parseDuration(ctx.config.evidence?.settle ?? '3s')!
  return (await gradeRun(ctx, attempts, evidence, { ...options, settleMs })).run
}
