/**
 * The JSONL evidence source: a file the deployment appends its audit records to, read from a cursor
 * in bounded pages through the mapping. Pages and cursors, a file appended while being read, a last
 * line completed later, rotation, truncation, a missing file, the page bounds, and 100,000 lines
 * read with flat memory.
 */
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import type { EvidencePage, EvidenceSource } from '../../../harness/contracts/evidence-source.ts'
import type { MappingFields } from '../../../harness/contracts/evidence-mapping.ts'
import { jsonlSource, type JsonlSourceOptions } from '../../../harness/evidence/jsonl-source.ts'
import { mergeProblems } from '../../../harness/evidence/problems.ts'

/** every read() on a file the source opened, to show an unchanged file costs no read */
const io = vi.hoisted(() => ({ reads: 0 }))
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>()
  const open: typeof fs.open = async (...args) => {
    const handle = await fs.open(...args)
    const read = handle.read.bind(handle) as (...a: unknown[]) => unknown
    handle.read = ((...a: unknown[]) => (io.reads++, read(...a))) as typeof handle.read
    return handle
  }
  return { ...fs, open, default: { ...fs, open } }
})

const FIELDS: MappingFields = {
  ts: 'time',
  decision: { from: 'outcome', map: { allowed: 'allow', denied: 'deny' } },
  reason: { from: 'why', default: 'ok' },
  status: 'code',
  component: { const: 'gateway' },
  'correlation.request_id': 'rid',
}

const line = (n: number, over: Record<string, unknown> = {}): string =>
  `${JSON.stringify({ time: 1796564100000 + n, outcome: n % 2 ? 'denied' : 'allowed', why: n % 2 ? 'scope.insufficient' : undefined, code: n % 2 ? 403 : 200, rid: `r${n}`, ...over })}\n`
const lines = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => line(from + i)).join('')

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gatecrash-jsonl-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

let files = 0
async function fixture(content: string | null, options: JsonlSourceOptions & { waitForFile?: string } = {}) {
  const file = path.join(dir, `audit-${++files}.jsonl`)
  if (content !== null) await writeFile(file, content)
  const source = jsonlSource({ kind: 'jsonl', file, mapping: { fields: FIELDS }, waitForFile: options.waitForFile ?? '0s' }, options)
  return { file, source }
}

/** Every page of one pages() call, records and problems merged. */
async function read(source: EvidenceSource, after: string | null = null) {
  const pages: EvidencePage[] = []
  for await (const page of source.pages(after)) pages.push(page)
  const records = pages.flatMap((p) => p.records)
  const problems = pages.reduce((acc, p) => mergeProblems(acc, p.problems!), mergeProblems(undefined, { unmapped: 0, examples: [], warnings: [] }))
  return { pages, records, rids: records.map((r) => r.correlation.request_id), cursor: pages.at(-1)!.cursor, problems }
}

describe('pages and cursors', () => {
  test('reads every line through the mapping; a cursor resumes after the last line; re-reads give the same ids', async () => {
    const { file, source } = await fixture(lines(1, 5))
    expect(source).toMatchObject({ kind: 'jsonl', integrity: 'unchained' })
    expect(source.heads).toBeUndefined()
    const first = await read(source)
    expect(first.rids).toEqual(['r1', 'r2', 'r3', 'r4', 'r5'])
    expect(first.records[0]).toMatchObject({ v: 1, component: 'gateway', decision: 'deny', reason: 'scope.insufficient', status: 403, prev: null, hash: '' })
    expect(first.records[1]).toMatchObject({ decision: 'allow', reason: 'ok', ts: '2026-12-06T13:35:00.002Z' })
    expect(new Set(first.records.map((r) => r.id)).size).toBe(5)
    await appendFile(file, lines(6, 7))
    const next = await read(source, first.cursor)
    expect(next.rids).toEqual(['r6', 'r7'])
    expect((await read(source)).records.map((r) => r.id)).toEqual([...first.records, ...next.records].map((r) => r.id))
    await source.close()
  })

  test('nothing new costs a stat: one empty page, the same cursor, no read', async () => {
    const { source } = await fixture(lines(1, 3))
    const { cursor } = await read(source)
    const before = io.reads
    const again = await read(source, cursor)
    expect(again.pages).toEqual([{ records: [], cursor, problems: { unmapped: 0, examples: [], warnings: [] } }])
    expect(io.reads).toBe(before)
    await source.close()
  })

  test('lines that are not JSON or cannot be mapped are counted with their line numbers; blank lines are not lines of evidence', async () => {
    const { source } = await fixture(`${line(1)}\nnot json at all\n${line(2, { outcome: 'maybe' })}${line(3)}`)
    const { rids, problems } = await read(source)
    expect(rids).toEqual(['r1', 'r3'])
    expect(problems).toEqual({ unmapped: 2, examples: ['line 3: not JSON', "line 4: decision: `outcome` is 'maybe', not allow or deny"], warnings: [] })
    await source.close()
  })
})

describe('a file that changes while it is read', () => {
  test('lines appended while a call pages through the file are read in the same call', async () => {
    const { file, source } = await fixture(lines(1, 25), { limits: { lines: 10 } })
    const seen: string[] = []
    for await (const page of source.pages(null)) {
      seen.push(...page.records.map((r) => r.correlation.request_id!))
      if (seen.length === 10) await appendFile(file, lines(26, 35))
    }
    expect(seen).toEqual(Array.from({ length: 35 }, (_, i) => `r${i + 1}`))
    await source.close()
  })

  test('a last line without its newline waits for the next read, which gives it its own line number and id', async () => {
    const whole = line(3)
    const { file, source } = await fixture(lines(1, 2) + whole.slice(0, 20))
    const first = await read(source)
    expect(first.rids).toEqual(['r1', 'r2'])
    await appendFile(file, `${whole.slice(20)}not json\n`)
    const next = await read(source, first.cursor)
    expect(next.rids).toEqual(['r3'])
    expect(next.problems.examples).toEqual(['line 4: not JSON'])
    await source.close()
  })

  test('rotated (renamed, a new file at the path): the old file is read to its end through the kept handle, then the new one', async () => {
    const { file, source } = await fixture(lines(1, 3))
    const first = await read(source)
    await rename(file, `${file}.1`)
    await appendFile(`${file}.1`, line(4)) // the writer had not reopened yet
    await writeFile(file, lines(5, 6))
    const next = await read(source, first.cursor)
    expect(next.rids).toEqual(['r4', 'r5', 'r6'])
    expect(next.problems.warnings).toEqual([`evidence file ${file} was rotated: the old file was read to its end (line 4), then the new one from its start`])
    expect(new Set([...first.records, ...next.records].map((r) => r.id)).size).toBe(6)
    await source.close()
    // a source that never held the old file (another process's cursor) says what it could not read
    const other = jsonlSource({ kind: 'jsonl', file, mapping: { fields: FIELDS }, waitForFile: 0 })
    await rename(file, `${file}.2`)
    await writeFile(file, line(7))
    const after = await read(other, next.cursor)
    expect(after.rids).toEqual(['r7'])
    expect(after.problems.warnings).toEqual([`evidence file ${file} was replaced (rotated) after line 2: lines written to the old file after that were not read`])
    await other.close()
  })

  test('truncated: read again from its start, said in a warning; new lines get new ids', async () => {
    const { file, source } = await fixture(lines(1, 4))
    const first = await read(source)
    await truncate(file, 0)
    await writeFile(file, lines(10, 11))
    const next = await read(source, first.cursor)
    expect(next.rids).toEqual(['r10', 'r11'])
    expect(next.problems.warnings).toEqual([expect.stringMatching(/was truncated or rewritten after line 4 \(byte \d+\): read again from its start/)])
    expect(next.records[0].id).not.toBe(first.records[0].id)
    await source.close()
  })

  test('truncated and written past the old offset before the next read (copytruncate under a fast writer): the changed first bytes show it', async () => {
    const { file, source } = await fixture(lines(1, 2))
    const first = await read(source)
    await writeFile(file, lines(20, 25))
    const next = await read(source, first.cursor)
    expect(next.rids).toEqual(['r20', 'r21', 'r22', 'r23', 'r24', 'r25'])
    expect(next.problems.warnings).toHaveLength(1)
    await source.close()
  })

  test('missing: read as empty (cursor null) with a warning until it appears, then read from its start; the first read waits for it, bounded', async () => {
    const { file, source } = await fixture(null, { waitForFile: '50ms' })
    const t0 = Date.now()
    const empty = await read(source)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45)
    expect(empty.pages).toEqual([{ records: [], cursor: null, problems: { unmapped: 0, examples: [], warnings: [`evidence file ${file} did not exist at some reads: read as empty until it appeared`] } }])
    await writeFile(file, lines(1, 2))
    expect((await read(source, empty.cursor)).rids).toEqual(['r1', 'r2'])
    await source.close()
    const late = await fixture(null, { waitForFile: '5s' })
    setTimeout(() => void writeFile(late.file, lines(1, 1)), 30)
    const t1 = Date.now()
    expect((await read(late.source)).rids).toEqual(['r1'])
    expect(Date.now() - t1).toBeLessThan(2000)
    await late.source.close()
  })
})

describe('bounds', () => {
  test('pages hold at most the line bound and the byte bound; a line longer than a page is skipped and counted', async () => {
    const { source } = await fixture(lines(1, 25), { limits: { lines: 10 } })
    expect((await read(source)).pages.map((p) => p.records.length)).toEqual([10, 10, 5])
    await source.close()
    const long = line(3, { padding: 'x'.repeat(3000) })
    const bytes = await fixture(lines(1, 2) + long + lines(4, 30), { limits: { bytes: 1024 } })
    const { pages, rids, problems } = await read(bytes.source)
    expect(rids).toEqual(['r1', 'r2', ...Array.from({ length: 27 }, (_, i) => `r${i + 4}`)])
    expect(problems).toMatchObject({ unmapped: 1, examples: ['line 3: longer than 1024 bytes: skipped'] })
    for (const p of pages) expect(p.records.reduce((n, r) => n + line(Number(r.correlation.request_id!.slice(1))).length, 0)).toBeLessThanOrEqual(1024)
    await bytes.source.close()
  })

  test('100,000 lines are read in pages of at most 5,000 records, holding one page at a time', async () => {
    const gc = (() => {
      setFlagsFromString('--expose-gc')
      return runInNewContext('gc') as () => void
    })()
    const chunks: string[] = []
    for (let i = 1; i <= 100_000; i += 10_000) chunks.push(lines(i, i + 9_999))
    const { source } = await fixture(chunks.join(''))
    chunks.length = 0
    gc()
    const base = process.memoryUsage().heapUsed
    let records = 0
    let pages = 0
    let peak = 0
    for await (const page of source.pages(null)) {
      expect(page.records.length).toBeLessThanOrEqual(5000)
      records += page.records.length
      if (++pages % 5 === 0) {
        gc()
        peak = Math.max(peak, process.memoryUsage().heapUsed - base)
      }
    }
    expect(records).toBe(100_000)
    expect(pages).toBeGreaterThanOrEqual(20)
    // all 100,000 records held at once take ~60 MB; one page of them and its buffer a tenth of that
    expect(peak / 2 ** 20).toBeLessThan(20)
    await source.close()
  })
})
