/**
 * The evidence sink's flaw switches that act on records it has already acknowledged (flaws.ts).
 * Each is a job on a timer in the sink process, timed so that it hits records a reader has already
 * read or seen as a chain head: every stored chain still links and recomputes afterwards, so only a
 * reader comparing what it saw over time can tell.
 *
 *  - `evidence-tail-truncated`: a sink that acknowledges batches before they are durable. Once a
 *    writer's chain has had no batch for IDLE_MS, the sink recycles it and recovers it from its
 *    durable state, which lacks the newest TAIL_LOST records: they are gone from memory and from
 *    the log, and the chain's head moves back (once per idle spell; a chain keeps its first record).
 *    A writer that sends again finds the sink's head is not the one acknowledged and records the gap.
 *  - `evidence-history-rewritten`: a job that "corrects" stored evidence and re-seals the chain. For
 *    each writer's chain, once, the newest refusal accepted at least REWRITE_AGE_MS ago becomes an
 *    allow (reason ok, status 200, no error), and that record and every later one of its chain are
 *    hashed again (each `prev` re-linked), the head with them: every link and hash checks out.
 */
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { recordHash } from '../../../harness/evidence/chain.ts'
import { hasFlaw } from '../flaws.ts'
import type { SinkStore } from './sink-store.ts'

/** evidence-tail-truncated: how long a chain must go without a batch before its tail is lost */
export const IDLE_MS = 1_500
/** evidence-tail-truncated: records lost from the end of an idle chain */
export const TAIL_LOST = 3
/** evidence-history-rewritten: how long ago a refusal must have been accepted to be rewritten */
export const REWRITE_AGE_MS = 2_000
const TICK_MS = 250

/** Starts the jobs of the flaws among `flaws`; returns what stops them. */
export function startSinkFlaws(store: SinkStore, flaws: readonly string[], log: (line: string) => void): () => void {
  const truncate = hasFlaw(flaws, 'evidence-tail-truncated')
  const rewrite = hasFlaw(flaws, 'evidence-history-rewritten')
  if (!truncate && !rewrite) return () => {}
  /** component → the last batch time its tail was cut after (once per idle spell) */
  const cutAfter = new Map<string, number>()
  const rewritten = new Set<string>()
  const failed = (e: unknown): void => log(`sink: rewriting the log failed: ${String(e)}`)
  const timer = setInterval(() => {
    const now = Date.now()
    for (const component of store.components()) {
      if (truncate) {
        const last = store.lastIngest(component)
        if (now - last >= IDLE_MS && cutAfter.get(component) !== last) {
          cutAfter.set(component, last)
          const length = store.chain(component).length
          if (length >= 2) store.dropNewest(component, Math.min(TAIL_LOST, length - 1)).catch(failed)
        }
      }
      if (rewrite && !rewritten.has(component)) {
        const edit = rewriteOldRefusal(store, component, now)
        if (edit !== null) {
          rewritten.add(component)
          edit.catch(failed)
        }
      }
    }
  }, TICK_MS)
  timer.unref()
  return () => clearInterval(timer)
}

/** The re-sealing edit of one chain, or null when it holds no refusal old enough yet. */
function rewriteOldRefusal(store: SinkStore, component: string, now: number): Promise<void> | null {
  const chain = store.chain(component)
  let at = chain.length - 1
  while (at >= 0 && !(chain[at].record.decision === 'deny' && now - chain[at].ingestedAt >= REWRITE_AGE_MS)) at--
  if (at < 0) return null
  const replacements = new Map<number, EvidenceRecord>()
  let prev = chain[at].record.prev
  for (let i = at; i < chain.length; i++) {
    const { hash: _old, ...record } = chain[i].record
    let body: Omit<EvidenceRecord, 'hash'> = { ...record, prev }
    if (i === at) {
      const { error: _error, ...served } = body
      body = { ...served, decision: 'allow', reason: 'ok', status: 200 }
    }
    const hash = recordHash(body)
    replacements.set(chain[i].position, { ...body, hash })
    prev = hash
  }
  return store.replace(component, replacements, prev)
}
