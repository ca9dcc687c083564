/**
 * Where `gatecrash report` re-grades. In place by default, but never in a signed run directory:
 * re-grading rewrites run.json, the report and the CSVs, which would break the signature over a run
 * someone vouched for. A signed run (or any run given --out) is copied to a new directory, without
 * the bundle's envelope and carried key (the copy is not what was signed), and re-graded there.
 */
import { access, cp } from 'node:fs/promises'
import path from 'node:path'
import { RunDirFailed } from '../contracts/errors.ts'
import { RUN_FILES } from './run-dir.ts'

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false)

export const isSignedRun = (dir: string): Promise<boolean> => exists(path.join(dir, RUN_FILES.bundle))

/** `<run-dir>.regraded-<UTC time to the second>`, beside the run. */
export function regradedDirFor(dir: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return `${path.resolve(dir).replace(/[\\/]+$/, '')}.regraded-${stamp}`
}

export async function copyForRegrade(dir: string, out: string): Promise<void> {
  const from = path.resolve(dir)
  if (await exists(out)) throw new RunDirFailed(`${out} exists already; a re-grade goes into a new directory`, { hint: 'pass --out with a path that does not exist yet' })
  if (!(await exists(path.join(from, RUN_FILES.context)))) {
    throw new RunDirFailed(`${dir} is not a gatecrash run directory (no readable ${RUN_FILES.context})`, { hint: 'pass a folder under runs/ written by `gatecrash run`' })
  }
  const skip = new Set([RUN_FILES.bundle, RUN_FILES.bundlePub].map((f) => path.join(from, f)))
  try {
    await cp(from, out, { recursive: true, errorOnExist: true, force: false, filter: (src) => !skip.has(path.resolve(src)) })
  } catch (e) {
    throw new RunDirFailed(`cannot copy ${dir} to ${out}: ${(e as Error).message}`, { cause: e, hint: 'pass --out with a writable path that does not exist yet' })
  }
}
