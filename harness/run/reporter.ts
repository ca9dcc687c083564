import type { AttemptRecord } from '../contracts/attempt.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { GradedAttempt } from '../contracts/verdict.ts'
import type { RunJson } from '../contracts/run-json.ts'

/**
 * A run's rows for reporters that list attempts and records (CSV), read from run.db page by page:
 * a reporter streams them to its file and never holds the run in memory. The lookups answer for
 * any key, and cost nothing for the row just yielded (they read the current page first).
 */
export interface RunFiles {
  dir: string
  /** the run store, for reporters that query it themselves */
  db: string
  /** attempts in seq order */
  attempts(): Iterable<AttemptRecord>
  /** an attempt's verdict by seq */
  verdicts: { get(seq: number): GradedAttempt | undefined }
  /** evidence records in the order the source delivered them */
  evidence(): Iterable<EvidenceRecord>
  /** record id → the attempt it joined (in time or late) */
  seqById: { get(id: string): number | undefined }
  /** ids of records stamped after the settle deadline */
  lateIds: { has(id: string): boolean }
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
