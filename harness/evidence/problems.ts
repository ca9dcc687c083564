/**
 * Bounded bookkeeping of what a mapping source could not use (EvidenceProblems): a count, the first
 * few examples and each warning once. A page carries its own; the run merges them in delivery order
 * (run/ keeps the total in context.json and run.json `evidence.unmapped`).
 */
import type { EvidenceProblems } from '../contracts/evidence-source.ts'

export const MAX_EXAMPLES = 10
export const MAX_WARNINGS = 20

export class ProblemLog {
  unmapped = 0
  readonly examples: string[] = []
  readonly warnings: string[] = []

  /** a line that gave no record; `line` is 1-based */
  unmappedLine(line: number, why: string): void {
    this.unmapped++
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(`line ${line}: ${why}`)
  }

  warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS && !this.warnings.includes(message)) this.warnings.push(message)
  }

  snapshot(): EvidenceProblems {
    return { unmapped: this.unmapped, examples: [...this.examples], warnings: [...this.warnings] }
  }
}

/** `add` after `into`, keeping the bounds: what the run stores after each page. */
export function mergeProblems(into: EvidenceProblems | undefined, add: EvidenceProblems): EvidenceProblems {
  const examples = [...(into?.examples ?? [])]
  for (const e of add.examples) if (examples.length < MAX_EXAMPLES) examples.push(e)
  const warnings = [...(into?.warnings ?? [])]
  for (const w of add.warnings) if (warnings.length < MAX_WARNINGS && !warnings.includes(w)) warnings.push(w)
  return { unmapped: (into?.unmapped ?? 0) + add.unmapped, examples, warnings }
}
