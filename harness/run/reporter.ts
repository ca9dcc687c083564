import type { AttemptRecord } from '../attempt.ts'
import type { EvidenceRecord } from '../evidence/record.ts'
import type { GradeResult } from '../oracle/grade.ts'
import type { RunJson } from './run-json.ts'

export interface RunFiles {
  dir: string
  attempts: string
  evidence: string
  /** the graded run in memory, for reporters that list attempts and records (CSV) */
  graded: GradeResult
  attemptRecords: AttemptRecord[]
  evidenceRecords: EvidenceRecord[]
}

/**
 * Reporters come in from outside the engine (the CLI passes them), Playwright-style: every hook
 * optional, and a failing reporter is isolated so it cannot lose the others' output.
 */
export interface Reporter {
  name: string
  /** writes its files; returns their names relative to the run directory */
  onRunEnd?(run: RunJson, files: RunFiles): Promise<string[] | void>
}

export async function runReporters(reporters: Reporter[], run: RunJson, files: RunFiles, onError: (name: string, e: unknown) => void): Promise<string[]> {
  const written: string[] = []
  for (const r of reporters) {
    try {
      const out = await r.onRunEnd?.(run, files)
      if (out) written.push(...out)
    } catch (e) {
      onError(r.name, e)
    }
  }
  return written
}
