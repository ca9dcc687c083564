/**
 * Evidence integrity (docs/evidence-schema.md "Integrity"): whether each writer's hash chain, as the
 * run read it, is intact and was never cut back or rewritten. Fed one record at a time in delivery
 * order, so a run's chains are checked in one pass without being held in memory.
 *
 * Three kinds of proof, each of which the next would miss:
 * - links and hashes: every record's hash recomputes and its `prev` names the record before
 *   (an altered record, a deleted one, a gap);
 * - head samples: the source's heads, sampled at the start, while the run measures and after the
 *   settle window, each stored after the records read before it (`after`). Every later chain must
 *   extend every earlier head: a head must turn up at or after the point the chain had reached when
 *   it was sampled. That catches a sink that cuts its tail and reports the shortened head (the head
 *   is an earlier record), and one that edits a record and re-hashes everything after it (an
 *   earlier head, or a record already read, is no longer in the chain), which links alone cannot;
 * - the re-read: after the settle window the run reads its history again from its start; a record
 *   served with other content was rewritten, one no longer served was deleted or cut, and the
 *   re-read chain must itself link and recompute (verifyHistory below).
 *
 * Memory is one state per chain plus the heads not yet found; hashes are not kept.
 */
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { ChainHeads } from '../contracts/evidence-source.ts'
import { recordHash } from './chain.ts'

export interface HeadSample {
  /** the last evidence rowid (delivery position) stored before the sample was taken */
  after: number
  /** epoch ms */
  at: number
  heads: ChainHeads
}

export interface ChainIntegrity {
  component: string
  records: number
  ok: boolean
  problem: string | null
}

interface PendingHead {
  hash: string
  /** records of the chain already read when the head was sampled: it must be at or after them */
  minPos: number
  at: number
}

interface ChainState {
  component: string
  /** records of this chain fed so far */
  records: number
  /** the head so far; the chain's start head before its first record */
  prev: string | null
  /** a chain without a head read before the run starts wherever its first record says */
  fresh: boolean
  problem: string | null
  /** index of the first bad record within this chain */
  brokenAt: number | null
  pending: PendingHead[]
}

const short = (h: string): string => `${h.slice(0, 12)}…`
const iso = (t: number): string => new Date(t).toISOString()

export class IntegrityTracker {
  readonly #chains = new Map<string, ChainState>()
  readonly #start: ChainHeads
  readonly #samples: HeadSample[]
  #nextSample = 0

  /**
   * `chainStart`: each component's head read before the run (absent: a fresh chain). `samples`: the
   * source's head samples, in the order they were taken.
   */
  constructor(chainStart: ChainHeads = {}, samples: readonly HeadSample[] = []) {
    this.#start = chainStart
    this.#samples = [...samples].sort((a, b) => a.after - b.after || a.at - b.at)
  }

  #chain(component: string): ChainState {
    let c = this.#chains.get(component)
    if (!c) {
      const prev = this.#start[component] ?? null
      c = { component, records: 0, prev, fresh: prev === null, problem: null, brokenAt: null, pending: [] }
      this.#chains.set(component, c)
    }
    return c
  }

  /** Applies the head samples taken before the record at `rowid` was delivered. */
  #samplesBefore(rowid: number): void {
    while (this.#nextSample < this.#samples.length && this.#samples[this.#nextSample].after < rowid) {
      const s = this.#samples[this.#nextSample++]
      for (const [component, hash] of Object.entries(s.heads)) {
        if (hash === null) continue
        const c = this.#chain(component)
        // The head is what the chain has reached: nothing to wait for.
        if (hash === c.prev && c.problem === null) continue
        c.pending.push({ hash, minPos: c.records, at: s.at })
      }
    }
  }

  /**
   * Feeds the next record in delivery order. `hashOk` is whether its hash recomputes, when the caller
   * already knows (the tamper check asks the same question).
   */
  add(r: EvidenceRecord, rowid: number = Number.MAX_SAFE_INTEGER, hashOk: boolean = recordHash(r) === r.hash): void {
    this.#samplesBefore(rowid)
    const c = this.#chain(r.component)
    const first = c.records === 0
    const index = c.records++
    if (c.problem !== null) return
    if (r.prev !== c.prev && !(first && c.fresh)) this.#fail(c, index, `record ${r.id}: prev does not link to the record before`)
    else if (!hashOk) this.#fail(c, index, `record ${r.id}: hash does not recompute`)
    else {
      c.prev = r.hash
      if (c.pending.length > 0) c.pending = c.pending.filter((p) => p.hash !== r.hash)
    }
  }

  /** What re-reading the run's history after it ended found wrong with a chain (records gone, links broken since). */
  failVerification(component: string, problem: string): void {
    const c = this.#chain(component)
    if (c.problem === null) this.#fail(c, c.records, problem)
  }

  /** A record id the source delivered again with other content: its history was rewritten. */
  redelivered(component: string, id: string): void {
    const c = this.#chain(component)
    if (c.problem === null) this.#fail(c, c.records, `record ${id} was delivered again with other content: history rewritten`)
  }

  #fail(c: ChainState, index: number, problem: string): void {
    c.problem = problem
    c.brokenAt = index
  }

  /** Each chain, in order of its first appearance; call once every record has been fed. */
  finish(): (ChainIntegrity & { brokenAt: number | null; head: string | null })[] {
    this.#samplesBefore(Number.MAX_SAFE_INTEGER)
    for (const c of this.#chains.values()) {
      if (c.problem !== null || c.pending.length === 0) continue
      const p = c.pending[0]
      const where = p.minPos === 0 ? 'its start' : `record ${p.minPos} of the run`
      c.problem = `head ${short(p.hash)} reported at ${iso(p.at)} is not in the chain from ${where} on: the chain was cut back or rewritten`
      c.brokenAt = c.records
    }
    return [...this.#chains.values()].map((c) => ({ component: c.component, records: c.records, ok: c.problem === null, problem: c.problem, brokenAt: c.brokenAt, head: c.problem === null ? c.prev : null }))
  }
}

export interface ChainCheck {
  component: string
  records: number
  /** index (in the given order) of the first record whose `prev` or `hash` is wrong, if any */
  brokenAt: number | null
  problem: string | null
  head: string | null
}

/**
 * Checks one writer's records in order: every hash recomputes, every `prev` names the record before.
 * `startPrev` is the head read before (null for a fresh chain). The same rules as a run's grading.
 */
export function checkChain(component: string, records: readonly EvidenceRecord[], startPrev: string | null = null): ChainCheck {
  const t = new IntegrityTracker(startPrev === null ? {} : { [component]: startPrev })
  for (const r of records) t.add({ ...r, component }, undefined, recordHash(r) === r.hash)
  const c = t.finish().find((x) => x.component === component)
  return { component, records: records.length, brokenAt: c?.brokenAt ?? null, problem: c?.problem ?? null, head: c ? c.head : startPrev }
}

/**
 * Re-reads the run's history from its start and checks it against what the run read: every record
 * again, with the same content, on chains that still link and recompute. Catches a store edited
 * after the run read it (a field changed with or without its hash, a record deleted, a tail cut),
 * which the head samples miss when the head does not move. `compare` says whether a record id was
 * stored (and records other content as rewritten); `stored` counts records per writer.
 */
export async function verifyHistory(input: {
  pages: AsyncIterable<{ records: readonly EvidenceRecord[] }>
  chainStart: ChainHeads
  compare(r: EvidenceRecord): boolean
  stored: ReadonlyMap<string, number>
}): Promise<{ component: string; problem: string }[]> {
  const tracker = new IntegrityTracker(input.chainStart)
  const served = new Map<string, number>()
  for await (const page of input.pages) {
    for (const r of page.records) {
      tracker.add(r)
      if (input.compare(r)) served.set(r.component, (served.get(r.component) ?? 0) + 1)
    }
  }
  const problems = tracker.finish().filter((c) => !c.ok).map((c) => ({ component: c.component, problem: `re-read after the run: ${c.problem}` }))
  for (const [component, n] of input.stored) {
    const again = served.get(component) ?? 0
    if (again < n && !problems.some((p) => p.component === component)) {
      problems.push({ component, problem: `re-read after the run: ${n - again} of ${n} records read during the run are no longer served (deleted or cut off)` })
    }
  }
  return problems
}
