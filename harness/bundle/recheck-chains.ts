/**
 * The evidence half of `gatecrash verify`: a signature proves the files are as signed, not that the
 * audit trail in them was sound. So the chains are checked again: run.json must say every chain
 * held, and the records in run.db must recompute, chain by chain, to what run.json says (the same
 * IntegrityTracker the grader used, fed the stored records, head samples, re-delivered records and
 * re-read problems in delivery order). Hashing every record costs what the grader's tamper check
 * costs, one pass without holding records in memory.
 *
 * run.db is opened immutable: no lock, no -wal or -shm written, so verifying leaves the run
 * directory byte for byte as it found it (a second verify must not see a file added).
 */
import { readFile } from 'node:fs/promises'
import { DatabaseSync } from 'node:sqlite'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { ChainHeads } from '../contracts/evidence-source.ts'
import type { RunJson } from '../contracts/run-json.ts'
import { IntegrityTracker, type HeadSample } from '../evidence/integrity.ts'
import { RUN_FILES } from '../run/run-dir.ts'

export interface ChainRecheck {
  /** chains recomputed from run.db (0 for an unchained source or a run without a store) */
  recomputed: number
  problems: string[]
}

export async function recheckChains(dir: string, run: RunJson): Promise<ChainRecheck> {
  const problems: string[] = []
  const claimed = run.evidence?.chains ?? []
  for (const c of claimed) if (!c.ok) problems.push(`evidence chain ${c.component}: run.json reports it broken: ${c.problem ?? 'no reason given'}`)
  if (run.evidence?.integrity === 'unchained') return { recomputed: 0, problems }

  const start = await chainStart(dir)
  if (start === null) {
    problems.push(`${RUN_FILES.context}: not readable, so the chains cannot be recomputed from where the run found them`)
    return { recomputed: 0, problems }
  }
  let db: DatabaseSync
  try {
    const url = pathToFileURL(path.resolve(dir, RUN_FILES.db))
    url.searchParams.set('immutable', '1')
    db = new DatabaseSync(url, { readOnly: true })
    db.prepare('SELECT 1 FROM evidence LIMIT 1').get()
  } catch (e) {
    problems.push(`${RUN_FILES.db}: cannot read its evidence to recompute the chains (${(e as Error).message})`)
    return { recomputed: 0, problems }
  }
  try {
    const tracker = new IntegrityTracker(start, headSamples(db))
    for (const row of db.prepare('SELECT rowid, json FROM evidence ORDER BY rowid').iterate() as Iterable<{ rowid: number; json: string }>) {
      tracker.add(JSON.parse(row.json) as EvidenceRecord, row.rowid)
    }
    for (const r of db.prepare('SELECT id, json FROM redelivered ORDER BY rowid').iterate() as Iterable<{ id: string; json: string }>) {
      tracker.redelivered((JSON.parse(r.json) as EvidenceRecord).component, r.id)
    }
    for (const v of db.prepare('SELECT component, problem FROM verification ORDER BY rowid').iterate() as Iterable<{ component: string; problem: string }>) {
      tracker.failVerification(v.component, v.problem)
    }
    const recomputed = tracker.finish()
    for (const c of recomputed) {
      const said = claimed.find((x) => x.component === c.component)
      if (!said) problems.push(`evidence chain ${c.component}: ${c.records} records in ${RUN_FILES.db} that run.json does not list`)
      else if (said.records !== c.records) problems.push(`evidence chain ${c.component}: run.json says ${said.records} records, ${RUN_FILES.db} holds ${c.records}`)
      else if (said.ok && !c.ok) problems.push(`evidence chain ${c.component}: run.json says it held, recomputed from ${RUN_FILES.db} it does not: ${c.problem}`)
    }
    for (const c of claimed) {
      if (!recomputed.some((x) => x.component === c.component)) problems.push(`evidence chain ${c.component}: in run.json, with no records in ${RUN_FILES.db}`)
    }
    return { recomputed: recomputed.length, problems }
  } catch (e) {
    problems.push(`${RUN_FILES.db}: its evidence cannot be read back to recompute the chains (${(e as Error).message})`)
    return { recomputed: 0, problems }
  } finally {
    db.close()
  }
}

function headSamples(db: DatabaseSync): HeadSample[] {
  const rows = db.prepare('SELECT after_rowid, at, json FROM heads ORDER BY sample').all() as { after_rowid: number; at: number; json: string }[]
  return rows.map((r) => ({ after: r.after_rowid, at: r.at, heads: JSON.parse(r.json) as ChainHeads }))
}

/** The heads read before the run (context.json): without them a chain's first record links anywhere. */
async function chainStart(dir: string): Promise<ChainHeads | null> {
  try {
    const ctx = JSON.parse(await readFile(path.join(dir, RUN_FILES.context), 'utf8')) as { chainStart?: ChainHeads }
    return ctx.chainStart ?? {}
  } catch {
    return null
  }
}
