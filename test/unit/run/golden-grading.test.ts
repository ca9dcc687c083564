/**
 * The grader reproduces a grading made before its speed work (golden-grading.ts says what the two
 * stores hold): verdicts, joins, tamper marks, case rows, evidence statistics and integrity,
 * metrics, gates and faults, the same on disk at any page size and in memory.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { shareRange } from '../../../harness/oracle/grade-stream.ts'
import { RunStore } from '../../../harness/run/run-store.ts'
import { benchStore, fill, gradeGolden, mixedStore, type GoldenStore } from './golden-grading.ts'
import { removeScratch, scratch } from './store-fixtures.ts'

afterAll(removeScratch)

const FIXTURE = new URL('./golden-grading.json', import.meta.url)
const WRITE = process.env.GATECRASH_WRITE_GOLDEN === '1'

/**
 * `failed`: the record checks start elsewhere but never answer (a worker that died): graded here
 * after the joins were made. `shared`: counts the ranges the worker graded, and after its first
 * range this thread waits for the worker's first part, so the worker surely grades some.
 */
async function graded(g: GoldenStore, where: 'disk' | 'memory', pageSize?: number, failed = false, shared?: { parts: number }, schema1 = false, doctor?: (store: RunStore) => void): Promise<unknown> {
  const store = RunStore.open(where === 'memory' ? ':memory:' : path.join(await scratch(), 'run.db'))
  // the grading of the run that wrote the store (finalize.ts), unless a doctored view is under test
  store.viewsTrusted = !doctor
  // a store written before /2 (as opened now: records as served, chain columns empty)
  if (schema1) store.setMeta('schema', 'gatecrash.run-db/1')
  expect(store.canonical).toBe(!schema1)
  if (failed) store.checkEvidenceAside = () => ({ checks: () => undefined })
  if (shared) store.checkEvidenceAside = countShared(store.checkEvidenceAside.bind(store), shared)
  try {
    fill(store, g)
    // nor record views: its records are graded from their whole text
    if (schema1) store.setMeta('views', '0')
    doctor?.(store)
    expect(store.views, 'grading reads views').toBe(store.viewsTrusted && !schema1)
    return gradeGolden(store, g, pageSize)
  } finally {
    store.close()
  }
}

function countShared(start: RunStore['checkEvidenceAside'], shared: { parts: number }): RunStore['checkEvidenceAside'] {
  return (input, size) => {
    const aside = start(input, size)
    if (!aside?.share) return aside
    const share = aside.share.bind(aside)
    return {
      checks: () => aside.checks(),
      share: (ranges, pass, pageSize) => {
        const inner = share(ranges, pass, pageSize)
        const waiting: ReturnType<typeof inner.take> = []
        const take = () => {
          const got = [...waiting.splice(0), ...inner.take()]
          shared.parts += got.length
          return got
        }
        let claims = 0
        return {
          claim: () => {
            if (claims++ === 1) {
              const pause = new Int32Array(new SharedArrayBuffer(4))
              for (const until = Date.now() + 30_000; waiting.length === 0 && Date.now() < until; ) {
                waiting.push(...inner.take())
                Atomics.wait(pause, 0, 0, 5)
              }
            }
            return inner.claim()
          },
          take,
          finish: () => inner.finish(),
        }
      },
    }
  }
}

describe('issue 14: a faster grader grades exactly as before', () => {
  const stores = { bench: benchStore(), clean: benchStore(8_000, false), mixed: mixedStore() }

  test('the golden grading of each store, on disk at the default page size', async () => {
    const now: Record<string, unknown> = {}
    for (const [name, g] of Object.entries(stores)) now[name] = await graded(g, 'disk')
    // a JSON round trip drops what a fixture cannot hold (undefined members), as the fixture did
    const plain = JSON.parse(JSON.stringify(now)) as unknown
    if (WRITE) await writeFile(FIXTURE, `${JSON.stringify(plain, null, 1)}\n`)
    expect(plain).toEqual(JSON.parse(await readFile(FIXTURE, 'utf8')))
  })

  test('the same with the record checks in a worker thread and in the grading thread (run-store.ts checkEvidenceAside), over canonical records and a /1 store\'s', async () => {
    const golden = JSON.parse(await readFile(FIXTURE, 'utf8')) as Record<string, unknown>
    const from = RunStore.checkAsideFrom
    try {
      for (const aside of [0, Number.POSITIVE_INFINITY]) {
        RunStore.checkAsideFrom = aside
        for (const [name, g] of Object.entries(stores)) {
          expect(JSON.parse(JSON.stringify(await graded(g, 'disk', 500))), `${name} aside from ${aside}`).toEqual(golden[name])
        }
      }
      for (const [name, g] of Object.entries(stores)) expect(JSON.parse(JSON.stringify(await graded(g, 'disk', undefined, true))), `${name}, checks failed`).toEqual(golden[name])
      // a /1 store's records are parsed and hashed, in the worker as here
      RunStore.checkAsideFrom = 0
      for (const [name, g] of Object.entries(stores)) expect(JSON.parse(JSON.stringify(await graded(g, 'disk', undefined, false, undefined, true))), `${name}, schema /1`).toEqual(golden[name])
    } finally {
      RunStore.checkAsideFrom = from
    }
  })

  test('the same with the verdict pass shared between two threads in ranges of a few attempts (grade-aside.ts)', async () => {
    const golden = JSON.parse(await readFile(FIXTURE, 'utf8')) as Record<string, unknown>
    const from = RunStore.checkAsideFrom
    const attempts = shareRange.attempts
    try {
      RunStore.checkAsideFrom = 0
      // ranges that cut through concurrency groups and pages (the group's range judges it whole);
      // only a store with no altered record and no fault is shared (the others are graded in one thread)
      for (const [range, names] of [[41, ['clean']], [333, Object.keys(stores)]] as const) {
        shareRange.attempts = range
        for (const name of names) {
          const shared = { parts: 0 }
          // only the clean store is shared: the pause waits for a part of the worker's
          const now = await graded(stores[name as keyof typeof stores], 'disk', 50, false, name === 'clean' ? shared : undefined)
          expect(JSON.parse(JSON.stringify(now)), `${name} in ranges of ${range}`).toEqual(golden[name])
          if (name === 'clean') expect(shared.parts, 'ranges the worker graded').toBeGreaterThan(0)
        }
      }
    } finally {
      RunStore.checkAsideFrom = from
      shareRange.attempts = attempts
    }
  })

  test('a re-grade reads the whole records, the text their hashes cover: a doctored record view changes no verdict', async () => {
    const golden = JSON.parse(await readFile(FIXTURE, 'utf8')) as Record<string, unknown>
    const from = RunStore.checkAsideFrom
    try {
      // every view says allow, for a principal no attempt expects
      const doctor = (store: RunStore) => void store.sql(`UPDATE record_views SET json = json_set(json, '$.decision', 'allow', '$.principal.sub', 'forged')`).run()
      for (const aside of [0, Number.POSITIVE_INFINITY]) {
        RunStore.checkAsideFrom = aside
        const now = await graded(stores.clean, 'disk', undefined, false, undefined, false, doctor)
        expect(JSON.parse(JSON.stringify(now)), `aside from ${aside}`).toEqual(golden.clean)
      }
      // read, those views would have changed the verdicts
      const trusting = await graded(stores.clean, 'disk', undefined, false, undefined, false, (store) => {
        doctor(store)
        store.viewsTrusted = true
      })
      expect(JSON.parse(JSON.stringify(trusting))).not.toEqual(golden.clean)
    } finally {
      RunStore.checkAsideFrom = from
    }
  })

  test('the same in memory and at odd page sizes', async () => {
    const golden = JSON.parse(await readFile(FIXTURE, 'utf8')) as Record<string, unknown>
    for (const [name, g] of Object.entries(stores)) {
      for (const [where, pageSize] of [['memory', undefined], ['disk', 777], ['memory', 1_001]] as const) {
        expect(JSON.parse(JSON.stringify(await graded(g, where, pageSize))), `${name} ${where} ${pageSize}`).toEqual(golden[name])
      }
    }
  })
})
