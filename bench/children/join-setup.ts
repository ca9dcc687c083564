/**
 * The join bench's rows (lib/join-rows.ts), written once per bench run into two databases the
 * measurements then copy: a gatecrash run store, filled through its own append paths
 * (RunStore.appendAttempts, appendEvidence: the writer thread's and the evidence tail's), and a
 * plain node:sqlite database holding the same rows for the SQL floor. Neither has an index beyond
 * its keys: a run builds its lookup indexes when grading starts, so building them belongs to the
 * measured step on both sides. Answers with what the generator intends the grading to find.
 */
import { statSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import type { AttemptRecord } from '../../harness/contracts/attempt.ts'
import type { EvidenceRecord } from '../../harness/contracts/evidence.ts'
import { RunStore } from '../../harness/run/run-store.ts'
import { childMain } from '../lib/child.ts'
import { Chainer, rowAt } from '../lib/join-rows.ts'

interface Params {
  dir: string
  n: number
}

export interface JoinSetup {
  store: string
  floor: string
  n: number
  expected: { joined: number; trace: number; tokenWindow: number; verdicts: Record<string, number>; legit: number; attacks: number; cases: string[] }
  lastEnd: number
  setupMs: number
  storeMb: number
  floorMb: number
}

/** what one page of the run's evidence tail hands the store (the sources' page size) */
const PAGE = 5_000

await childMain<Params, JoinSetup>(async ({ dir, n }) => {
  const t0 = performance.now()
  const storeFile = path.join(dir, 'gatecrash.db')
  const floorFile = path.join(dir, 'floor.db')
  for (const f of [storeFile, floorFile]) for (const suffix of ['', '-wal', '-shm']) await rm(f + suffix, { force: true })
  const store = RunStore.open(storeFile)
  const floor = new DatabaseSync(floorFile)
  floor.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
    CREATE TABLE attempts (seq INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, token_hash TEXT, started_at REAL NOT NULL, ended_at REAL NOT NULL, json TEXT NOT NULL);
    CREATE TABLE evidence (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, trace_id TEXT, token_hash TEXT, ts REAL, json TEXT NOT NULL);`)
  const insertAttempt = floor.prepare('INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?)')
  const insertRecord = floor.prepare('INSERT INTO evidence (id, trace_id, token_hash, ts, json) VALUES (?, ?, ?, ?, ?)')
  const chainer = new Chainer()
  const expected: JoinSetup['expected'] = { joined: 0, trace: 0, tokenWindow: 0, verdicts: {}, legit: 0, attacks: 0, cases: [] }
  const cases = new Set<string>()
  let lastEnd = 0
  for (let from = 1; from <= n; from += PAGE) {
    const attempts: AttemptRecord[] = []
    const records: EvidenceRecord[] = []
    for (let seq = from; seq < from + PAGE && seq <= n; seq++) {
      const row = rowAt(seq)
      attempts.push(row.attempt)
      records.push(chainer.chain(row.record))
      expected.joined++
      if (row.traced) expected.trace++
      else expected.tokenWindow++
      expected.verdicts[row.verdict] = (expected.verdicts[row.verdict] ?? 0) + 1
      if (row.attempt.kind === 'legit') expected.legit++
      else expected.attacks++
      if (row.attempt.case) cases.add(row.attempt.case)
      lastEnd = Math.max(lastEnd, row.attempt.ended_at)
    }
    store.appendAttempts(attempts)
    store.appendEvidence(records)
    floor.exec('BEGIN')
    for (const a of attempts) insertAttempt.run(a.seq, a.trace_id, a.token_hash, a.started_at, a.ended_at, JSON.stringify(a))
    for (const r of records) insertRecord.run(r.id, r.correlation.trace_id ?? null, r.correlation.token_hash ?? null, Date.parse(r.ts), JSON.stringify(r))
    floor.exec('COMMIT')
  }
  store.close()
  floor.close()
  expected.cases = [...cases].sort()
  return { store: storeFile, floor: floorFile, n, expected, lastEnd, setupMs: Math.round(performance.now() - t0), storeMb: statSync(storeFile).size / 2 ** 20, floorMb: statSync(floorFile).size / 2 ** 20 }
})
