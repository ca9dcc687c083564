/**
 * The grader reproduces a grading made before its speed work (golden-grading.ts says what the two
 * stores hold): verdicts, joins, tamper marks, case rows, evidence statistics and integrity,
 * metrics, gates and faults, the same on disk at any page size and in memory.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { RunStore } from '../../../harness/run/run-store.ts'
import { benchStore, fill, gradeGolden, mixedStore, type GoldenStore } from './golden-grading.ts'
import { removeScratch, scratch } from './store-fixtures.ts'

afterAll(removeScratch)

const FIXTURE = new URL('./golden-grading.json', import.meta.url)
const WRITE = process.env.GATECRASH_WRITE_GOLDEN === '1'

/** `failed`: the record checks start elsewhere but never answer (a worker that died): graded here after the joins were made */
async function graded(g: GoldenStore, where: 'disk' | 'memory', pageSize?: number, failed = false): Promise<unknown> {
  const store = RunStore.open(where === 'memory' ? ':memory:' : path.join(await scratch(), 'run.db'))
  if (failed) store.checkEvidenceAside = () => () => undefined
  try {
    fill(store, g)
    return gradeGolden(store, g, pageSize)
  } finally {
    store.close()
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

  test('the same with the record checks in a worker thread and in the grading thread (run-store.ts checkEvidenceAside)', async () => {
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
