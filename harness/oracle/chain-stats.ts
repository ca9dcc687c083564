/**
 * Hash-chain statistics for run.json, fed one record at a time in the order the evidence source
 * delivered them (evidence contract: records must link, no gaps). One chain per writer (component).
 * It is checkChain() (evidence/chain.ts) made incremental, so the streaming grader checks a run's
 * chains in one pass without holding them, and hashes each record once for both the chain and the
 * tamper check.
 */
import { recordHash } from '../evidence/chain.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { RunJson } from '../contracts/run-json.ts'

interface ChainState {
  component: string
  records: number
  /** the head so far; the chain's start head before its first record */
  prev: string | null
  /** a chain without a head read before the run starts wherever its first record says */
  fresh: boolean
  problem: string | null
}

export class ChainTracker {
  private readonly chains = new Map<string, ChainState>()
  private readonly start: Record<string, string | null>

  /** `chainStart`: each component's head read before the run; absent means a fresh chain. */
  constructor(chainStart: Record<string, string | null> = {}) {
    this.start = chainStart
  }

  /**
   * Feeds the next record of its component. `hashOk` is whether its hash recomputes, when the
   * caller already knows (the tamper check asks the same question).
   */
  add(r: EvidenceRecord, hashOk: boolean = recordHash(r) === r.hash): void {
    let c = this.chains.get(r.component)
    if (!c) {
      const prev = this.start[r.component] ?? null
      c = { component: r.component, records: 0, prev, fresh: prev === null, problem: null }
      this.chains.set(r.component, c)
    }
    const first = c.records === 0
    c.records++
    if (c.problem !== null) return
    if (r.prev !== c.prev && !(first && c.fresh)) c.problem = `record ${r.id}: prev does not link to the record before`
    else if (!hashOk) c.problem = `record ${r.id}: hash does not recompute`
    else c.prev = r.hash
  }

  /** Components in order of their first record, as run.json lists them. */
  stats(): RunJson['evidence']['chains'] {
    return [...this.chains.values()].map((c) => ({ component: c.component, records: c.records, ok: c.problem === null, problem: c.problem }))
  }
}

/** The chain statistics of records held in memory. */
export function chainStats(evidence: readonly EvidenceRecord[], chainStart: Record<string, string | null> = {}): RunJson['evidence']['chains'] {
  const tracker = new ChainTracker(chainStart)
  for (const r of evidence) tracker.add(r)
  return tracker.stats()
}
