import { access, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, describe, expect, test } from 'vitest'
import { AttemptLog, FLUSH_MS } from '../../../harness/run/attempt-log.ts'
import { RunStore } from '../../../harness/run/run-store.ts'
import { attack, chain, legit, recordFor } from '../oracle/fixtures.ts'
import { contextFor } from './crash-fixtures.ts'
import { regrade } from '../../../harness/run/regrade.ts'
import { gradeStore } from '../../../harness/run/grade-store.ts'
import { shareRange } from '../../../harness/oracle/grade-stream.ts'
import { scratch, removeScratch } from './store-fixtures.ts'

afterAll(removeScratch)

/** Reads through a connection of its own, as a re-grade after a crash would. */
function countIn(file: string, table: string): number {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
  } finally {
    db.close()
  }
}
const exists = (f: string) => access(f).then(() => true, () => false)

describe('the attempt log records into run.db from a writer thread', () => {
  test(`a batch is committed at most ${FLUSH_MS} ms after its first attempt, without sync or close`, async () => {
    const file = path.join(await scratch(), 'run.db')
    const log = await AttemptLog.open(file)
    for (let seq = 1; seq <= 10; seq++) log.append(legit(seq))
    expect(countIn(file, 'attempts')).toBe(0) // still buffered: the hot path never waits for SQLite
    await new Promise((r) => setTimeout(r, FLUSH_MS + 300))
    expect(countIn(file, 'attempts')).toBe(10)
    await log.close()
  })

  test('1,000 attempts make a transaction of their own at once; close checkpoints the WAL into run.db', async () => {
    const file = path.join(await scratch(), 'run.db')
    const log = await AttemptLog.open(file)
    for (let seq = 1; seq <= 2_500; seq++) log.append(seq % 3 ? legit(seq) : attack(seq, 'escalate.tool-scope'))
    await log.sync()
    expect(countIn(file, 'attempts')).toBe(2_500)
    await log.close()
    expect(log.count).toBe(2_500)
    expect(await exists(`${file}-wal`)).toBe(false)
    const store = RunStore.open(file)
    expect(store.attemptSummary()).toMatchObject({ attempts: 2_500, legit: 1_667 })
    const first = [...store.attemptPages(2)][0]
    expect(first).toEqual([legit(1), legit(2)])
    store.close()
  })

  test('an attempt repeating a seq is dropped and counted, never losing the rest of its batch', async () => {
    const file = path.join(await scratch(), 'run.db')
    const log = await AttemptLog.open(file)
    log.append(legit(1))
    log.append(legit(2))
    log.append(legit(1, { trace_id: 'other' }))
    log.append(legit(3))
    await log.close()
    expect(log.dropped).toBe(1)
    expect(countIn(file, 'attempts')).toBe(3)
  })

  test('a store that cannot be opened fails the run before it measures', async () => {
    const dir = await scratch()
    await mkdir(path.join(dir, 'run.db'))
    await expect(AttemptLog.open(path.join(dir, 'run.db'))).rejects.toThrow(/cannot open the run store/)
  })
})

describe('issue 14: the group index is built only where a concurrency group may be', () => {
  test('meta grouped: 0 in a new store until the writer thread stores a grouped attempt, then 1; a shared grading builds attempts_group unless it is 0', async () => {
    const from = RunStore.checkAsideFrom
    const range = shareRange.attempts
    RunStore.checkAsideFrom = 0
    shareRange.attempts = 5
    try {
      // undefined: a store made before the key (it may hold groups)
      for (const grouped of [false, true, undefined]) {
        const file = path.join(await scratch(), 'run.db')
        const log = await AttemptLog.open(file)
        const attempts = Array.from({ length: 20 }, (_, i) => (i === 6 && grouped !== false ? attack(i + 1, 'replay.dpop-jti-reuse', { group: 'grp-1' }) : legit(i + 1)))
        for (const a of attempts) log.append(a)
        await log.close()
        const store = RunStore.open(file)
        try {
          if (grouped === undefined) store.sql(`DELETE FROM meta WHERE key = 'grouped'`).run()
          expect(store.getMeta('grouped'), String(grouped)).toBe(grouped === undefined ? undefined : grouped ? '1' : '0')
          store.appendEvidence(chain(attempts.map((a) => recordFor(a))))
          const { graded } = gradeStore(store, { durationS: 1 })
          expect(graded.attempts).toBe(20)
          const built = store.sql(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'attempts_group'`).get() as { n: number }
          expect(built.n, `group index with grouped ${grouped}`).toBe(grouped === false ? 0 : 1)
        } finally {
          store.close()
        }
      }
    } finally {
      RunStore.checkAsideFrom = from
      shareRange.attempts = range
    }
  })
})

describe('evidence goes into run.db page by page', () => {
  test('in delivery order, ≤ 1,000 rows per transaction; a page read twice is stored once', async () => {
    const store = RunStore.open(path.join(await scratch(), 'run.db'))
    const records = chain(Array.from({ length: 2_300 }, (_, i) => recordFor(legit(i + 1))))
    expect(store.appendEvidence(records.slice(0, 1_200))).toBe(0)
    expect(store.appendEvidence(records.slice(1_000))).toBe(200)
    expect(store.evidenceCount()).toBe(2_300)
    const delivered = [...store.evidencePages(1_000)].flat()
    expect(delivered.map((r) => r.record.id)).toEqual(records.map((r) => r.id))
    expect(delivered[5].record).toEqual(records[5])
    store.close()
  })
})

describe('gatecrash report on a run directory from before the run store', () => {
  test('attempts.jsonl and evidence.jsonl (torn last line included) are imported into run.db and graded', async () => {
    const dir = await scratch()
    const attempts = [legit(1), legit(2), attack(3, 'escalate.tool-scope')]
    const evidence = chain(attempts.map((a) => recordFor(a)))
    await writeFile(path.join(dir, 'attempts.jsonl'), attempts.map((a) => JSON.stringify(a)).join('\n') + '\n{"seq": 4, "trace')
    await writeFile(path.join(dir, 'evidence.jsonl'), evidence.map((r) => JSON.stringify(r)).join('\n') + '\n')
    await writeFile(path.join(dir, 'run.json'), '{}')
    await writeFile(path.join(dir, 'context.json'), JSON.stringify(contextFor(dir)))
    const run = await regrade(dir, { reporters: [], log: () => {} })
    expect(run.load).toMatchObject({ attempts: 3, legit: 2, attacks: 1 })
    expect(run.verdict).toBe('ready')
    expect(run.evidence).toMatchObject({ records: 3, matched: 3 })
    expect(countIn(path.join(dir, 'run.db'), 'verdicts')).toBe(3)
  })
})
