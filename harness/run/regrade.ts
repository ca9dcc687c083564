/**
 * Re-grade a run directory offline from its run store (docs/architecture.md: the oracle is a pure function, so
 * a finished or crashed run can be graded again, e.g. after a catalog update). A run that died
 * midway left run.db with a WAL and no run.json: SQLite replays the WAL on open, and the run is
 * graded from what it committed, with verdict `incomplete`. A directory from before the run store
 * (attempts.jsonl / evidence.jsonl, no run.db) is imported into a new run.db first.
 *
 * The re-grade uses today's grader and default gates; run.json's `regraded` says so, with the
 * grader version the run was made with and the default gates added since (oracle/grader-version.ts),
 * so a board reading an old run knows which verdicts it was not judged by at the time.
 */
import { access, readFile } from 'node:fs/promises'
import path from 'node:path'
import { RunDirFailed } from '../contracts/errors.ts'
import { parseDuration } from '../contracts/duration.ts'
import type { RunJson } from '../contracts/run-json.ts'
import { DEFAULT_GATE_SINCE, GRADER_VERSION } from '../oracle/grader-version.ts'
import { importJsonLines } from './attempt-log.ts'
import { gradeRun, type RunContext } from './finalize.ts'
import type { Reporter } from './reporter.ts'
import { RUN_FILES } from './run-dir.ts'
import { RunStore } from './run-store.ts'

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false)

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
  if (!(await exists(path.join(dir, RUN_FILES.runJson)))) ctx.stoppedEarly ??= 'the run ended before it was finalized; re-graded from its run store'
  const dbFile = path.join(ctx.dir, RUN_FILES.db)
  const legacy = !(await exists(dbFile))
  let store: RunStore
  try {
    store = RunStore.open(dbFile)
  } catch (e) {
    throw new RunDirFailed(`cannot open ${dbFile}: ${(e as Error).message}`, { cause: e, hint: 'the run store must be writable (SQLite replays its WAL on open)' })
  }
  try {
    if (legacy) {
      options.log(`importing ${RUN_FILES.attempts} and ${RUN_FILES.evidence} into ${RUN_FILES.db}`)
      await importJsonLines(store, { attempts: path.join(ctx.dir, RUN_FILES.attempts), evidence: path.join(ctx.dir, RUN_FILES.evidence) })
    }
    const settleMs = parseDuration(ctx.config.evidence?.settle ?? '3s')!
    return await gradeRun(ctx, store, { ...options, settleMs, regraded: await regradedFrom(dir, ctx.grader) })
  } finally {
    store.close()
  }
}

/** What a re-grade adds to run.json: when, from which grader, and the default gates new since then. */
async function regradedFrom(dir: string, madeWith = 1): Promise<RunJson['regraded']> {
  let from = madeWith
  try {
    const old = JSON.parse(await readFile(path.join(dir, RUN_FILES.runJson), 'utf8')) as Partial<RunJson>
    // a run re-graded before keeps the grader it was made with
    from = old.regraded?.from_grader ?? old.tool?.grader ?? 1
  } catch {
    // no run.json: the run died before finalizing; context.json says which grader it was made with
  }
  const newGates = Object.entries(DEFAULT_GATE_SINCE).filter(([, since]) => since > from).map(([key]) => key)
  return { at: new Date().toISOString(), from_grader: from, grader: GRADER_VERSION, new_gates: newGates }
}
