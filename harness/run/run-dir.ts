import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { RunDirFailed } from '../contracts/errors.ts'

export function newRunId(scenario: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  const safe = scenario.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 40)
  return `${stamp}-${safe}-${randomBytes(2).toString('hex')}`
}

export async function makeRunDir(outRoot: string, runId: string): Promise<string> {
  const dir = path.resolve(outRoot, runId)
  try {
    await mkdir(dir, { recursive: true })
  } catch (e) {
    throw new RunDirFailed(`cannot create run directory ${dir}: ${(e as Error).message}`, { cause: e, hint: 'pass --out with a writable directory' })
  }
  return dir
}

/** The names inside a run directory, in one place so writer and re-grader agree. */
export const RUN_FILES = {
  runJson: 'run.json',
  /** the run store: attempts, evidence, verdicts (run-store.ts) */
  db: 'run.db',
  /** `gatecrash bundle sign`: the DSSE envelope over every other file's digest (harness/bundle/); not a subject itself */
  bundle: 'bundle.dsse.json',
  /** the public half of a self-signed bundle's key, for convenience only: a verifier never trusts it unasked */
  bundlePub: 'bundle.pub.pem',
  /** the logs of run directories written before the run store; `gatecrash report` imports them */
  attempts: 'attempts.jsonl',
  evidence: 'evidence.jsonl',
  attemptsCsv: 'attempts.csv',
  evidenceCsv: 'evidence.csv',
  report: 'report.md',
  /** the run as JUnit XML for CI test reporters (reports/junit.ts) */
  junit: 'junit.xml',
  /** the same report as one self-contained page (reports/html) */
  html: 'report.html',
  /** report.html printed by Chromium; only `gatecrash report <run-dir> --pdf` writes it */
  pdf: 'report.pdf',
  context: 'context.json',
} as const
