/**
 * The PostgreSQL evidence source against a real server (test/helpers/postgres.ts): rows through a
 * mapping in pages, a cursor resumed by a new object, rows that commit out of key order (with both
 * cursor shapes), a server restarted mid-run, a table emptied behind the cursor, a query source,
 * and each error a user can cause, with its code, key and hint.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { EvidencePage, EvidenceSource } from '../../../harness/contracts/evidence-source.ts'
import type { MappingFields } from '../../../harness/contracts/evidence-mapping.ts'
import type { PostgresSourceSpec } from '../../../harness/contracts/target.ts'
import { openEvidenceSource } from '../../../harness/evidence/open-source.ts'
import { decodeCursor, encodeCursor, packIds, startPosition } from '../../../harness/evidence/postgres-cursor.ts'
import { postgresSource } from '../../../harness/evidence/postgres-source.ts'
import { mergeProblems } from '../../../harness/evidence/problems.ts'
import { requirePostgres, startPostgres, type PostgresServer } from '../../helpers/postgres.ts'

const bin = requirePostgres('postgres-source.test.ts')

const DB = 'audit'
const ENV = 'GATECRASH_TEST_PG_URL'
const READER = 'gc_reader'
const READER_PASSWORD = 'r34der-Pa55word-9f3c'
const PROFILE = 'targets/acme.ts'

const FIELDS: MappingFields = {
  ts: 'created_at',
  decision: { from: 'outcome', map: { allowed: 'allow', denied: 'deny' } },
  reason: { from: 'body.why', default: 'ok' },
  status: 'status',
  component: { const: 'gateway' },
  'correlation.request_id': 'rid',
  'correlation.trace_id': 'trace_id',
}

let server: PostgresServer
let tables = 0

/** a fresh audit table, as a deployment would create it */
async function table(): Promise<string> {
  const name = `events_${++tables}`
  await server.query(
    `CREATE TABLE ${name} (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), outcome text NOT NULL, status int NOT NULL, rid text, trace_id text, body jsonb)`,
    [],
    DB,
  )
  await server.query(`GRANT SELECT ON ${name} TO ${READER}`, [], DB)
  return name
}

async function insert(name: string, rids: string[], db: { query: (sql: string, values: unknown[]) => Promise<unknown> } = { query: (s, v) => server.query(s, v, DB) }): Promise<void> {
  for (const rid of rids) {
    const n = Number(rid.replace(/\D/g, '')) || 0
    await db.query(`INSERT INTO ${name} (outcome, status, rid, trace_id, body) VALUES ($1, $2, $3, $4, $5)`, [
      n % 2 ? 'denied' : 'allowed',
      n % 2 ? 403 : 200,
      rid,
      n.toString(16).padStart(32, '0'),
      n % 2 ? { why: 'scope.insufficient' } : {},
    ])
  }
}

function source(spec: Partial<PostgresSourceSpec> = {}): EvidenceSource {
  return postgresSource({ kind: 'postgres', connectionEnv: ENV, cursor: 'id', pageSize: 3, mapping: { fields: FIELDS }, ...spec } as PostgresSourceSpec, { declaredIn: PROFILE })
}

/** Every page of one pages() call, records and problems merged. */
async function read(s: EvidenceSource, after: string | null = null) {
  const pages: EvidencePage[] = []
  for await (const page of s.pages(after)) pages.push(page)
  const records = pages.flatMap((p) => p.records)
  const problems = pages.reduce((acc, p) => mergeProblems(acc, p.problems!), mergeProblems(undefined, { unmapped: 0, examples: [], warnings: [] }))
  return { pages, records, rids: records.map((r) => r.correlation.request_id), ids: records.map((r) => r.id), cursor: pages.at(-1)!.cursor, problems }
}

async function codeOf(p: Promise<unknown>): Promise<{ code?: string; key?: string; file?: string; hint?: string; message: string }> {
  try {
    await p
  } catch (e) {
    return e as { code?: string; message: string }
  }
  throw new Error('expected an error')
}

describe.skipIf(!bin)('the PostgreSQL evidence source', () => {
  beforeAll(async () => {
    server = await startPostgres(bin!)
    await server.createDatabase(DB)
    await server.createRole(READER, READER_PASSWORD, { database: DB, select: [] })
    process.env[ENV] = server.urlFor(READER, READER_PASSWORD, DB)
  })
  afterAll(async () => {
    delete process.env[ENV]
    await server?.destroy()
  })

  test('rows become records through the mapping, in pages; a new object resumes from the cursor; re-reads give the same ids', async () => {
    const name = await table()
    await insert(name, ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'])
    const s = source({ table: name })
    expect(s).toMatchObject({ kind: 'postgres', integrity: 'unchained' })
    const first = await read(s)
    expect(first.rids).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'])
    expect(first.pages.map((p) => p.records.length)).toEqual([3, 3, 1])
    expect(first.ids).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `pg:${name}:${n}`))
    expect(first.records[0]).toMatchObject({ v: 1, component: 'gateway', decision: 'deny', reason: 'scope.insufficient', status: 403, prev: null, hash: '', correlation: { trace_id: '0'.repeat(31) + '1' } })
    expect(first.records[1]).toMatchObject({ decision: 'allow', reason: 'ok', status: 200 })
    expect(first.records[0].ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(first.problems).toEqual({ unmapped: 0, examples: [], warnings: [] })
    await s.close()

    await insert(name, ['r8', 'r9'])
    const fresh = source({ table: name })
    const next = await read(fresh, first.cursor)
    expect(next.rids).toEqual(['r8', 'r9'])
    // nothing new: one empty page, the cursor unchanged
    const again = await read(fresh, next.cursor)
    expect(again.pages).toEqual([{ records: [], cursor: next.cursor, problems: { unmapped: 0, examples: [], warnings: [] } }])
    expect((await read(fresh)).ids).toEqual([...first.ids, ...next.ids])
    await fresh.close()
  })

  test('a row that commits after a later row was read is delivered on the next read, once; nothing is delivered twice', async () => {
    for (const cursor of ['id', { time: 'created_at', id: 'id' }] as const) {
      const name = await table()
      await insert(name, ['r1', 'r2'])
      const s = source({ table: name, cursor })
      const seen: string[] = []
      let { cursor: at, ids } = await read(s)
      seen.push(...ids)
      const a = new pg.Client({ connectionString: server.superuserUrl(DB) })
      const b = new pg.Client({ connectionString: server.superuserUrl(DB) })
      await a.connect()
      await b.connect()
      try {
        await a.query('BEGIN')
        await insert(name, ['r3'], a) // id 3, and (for the time cursor) the older created_at: now() is the transaction's start
        await insert(name, ['r4'], b) // id 4, committed at once
        const early = await read(s, at)
        expect(early.rids).toEqual(['r4'])
        seen.push(...early.ids)
        at = early.cursor
        await a.query('COMMIT')
        const late = await read(s, at)
        expect(late.rids).toEqual(['r3'])
        seen.push(...late.ids)
        at = late.cursor
        // reads after that deliver nothing again, from this object or a fresh one
        await insert(name, ['r5'])
        const rest = await read(source({ table: name, cursor }), at)
        expect(rest.rids).toEqual(['r5'])
        seen.push(...rest.ids)
        expect((await read(s, rest.cursor)).records).toEqual([])
      } finally {
        await a.end()
        await b.end()
      }
      expect(seen.sort()).toEqual([1, 2, 3, 4, 5].map((n) => `pg:${name}:${n}`))
      await s.close()
    }
  })

  test('the window is forgotten after the lookback; a row committing later than that is reported lost, not dropped silently', async () => {
    const name = await table()
    await insert(name, ['r1'])
    const s = source({ table: name, lookback: '100ms' })
    let { cursor } = await read(s)
    const a = new pg.Client({ connectionString: server.superuserUrl(DB) })
    await a.connect()
    try {
      await a.query('BEGIN')
      await insert(name, ['r2'], a)
      await insert(name, ['r3'])
      cursor = (await read(s, cursor)).cursor // r3; r2 not yet committed
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 150))
        cursor = (await read(s, cursor)).cursor // the floor passes r2's id
      }
      await a.query('COMMIT')
    } finally {
      await a.end()
    }
    const after = await read(s, cursor)
    expect(after.records).toEqual([])
    expect(after.problems.warnings).toEqual([
      `evidence source postgres (${name}): 1 row(s) committed more than the lookback (100 ms) after newer rows were read, at or behind id 3: not read (raise \`evidence.source.lookback\`)`,
    ])
    // said once: the next read has nothing new to say
    expect((await read(s, after.cursor)).problems.warnings).toEqual([])
    await s.close()
  })

  test('the server restarted mid-run: the read while it is down throws EvidenceUnavailable; after it, nothing lost or doubled', async () => {
    const name = await table()
    await insert(name, ['r1', 'r2'])
    const s = source({ table: name })
    const first = await read(s)
    await server.stop()
    const down = await codeOf(read(s, first.cursor))
    expect(down.code).toBe('ERR_EVIDENCE_UNAVAILABLE')
    expect(down.message).toContain(`connection from ${ENV}`)
    expect(down.hint).toContain(ENV)
    await server.start()
    await insert(name, ['r3', 'r4'])
    const next = await read(s, first.cursor)
    expect(next.rids).toEqual(['r3', 'r4'])
    expect(new Set([...first.ids, ...next.ids]).size).toBe(4)
    // restarted between two reads: the pool's dropped connection is replaced, the read just works
    await server.restart()
    await insert(name, ['r5'])
    expect((await read(s, next.cursor)).rids).toEqual(['r5'])
    await s.close()
  })

  test('a table emptied and refilled behind the cursor: said loudly, read again from its first row with new ids', async () => {
    const name = await table()
    await insert(name, ['r1', 'r2', 'r3'])
    const s = source({ table: name })
    const first = await read(s)
    await server.query(`TRUNCATE ${name} RESTART IDENTITY`, [], DB)
    await insert(name, ['r7'])
    const next = await read(s, first.cursor)
    expect(next.rids).toEqual(['r7'])
    expect(next.ids).toEqual([`pg:${name}~1:1`])
    expect(next.problems.warnings).toEqual([
      `evidence source postgres (${name}): no row at or after id 3 any more: the table was emptied or recreated; read again from its first row, with new record ids (rows written between the last read and then were lost)`,
    ])
    await s.close()
  })

  test('a query source: read as a subquery, with its own record-id prefix', async () => {
    const name = await table()
    await insert(name, ['r1', 'r2', 'r3', 'r4'])
    const s = openEvidenceSource(
      { kind: 'postgres', connectionEnv: ENV, query: `SELECT e.id, e.created_at, e.outcome, e.status, e.rid, e.trace_id, e.body FROM ${name} e WHERE e.rid <> 'r2';`, cursor: 'id', pageSize: 2, mapping: { fields: FIELDS } },
      { declaredIn: PROFILE },
    )
    const all = await read(s)
    expect(all.rids).toEqual(['r1', 'r3', 'r4'])
    expect(all.ids.every((id) => /^pg:q-[\w-]{12}:\d+$/.test(id))).toBe(true)
    await s.close()
  })

  describe('errors', () => {
    test('a wrong password: ERR_EVIDENCE_UNAVAILABLE naming the variable, never the password', async () => {
      const name = await table()
      process.env.GATECRASH_TEST_PG_BAD = server.urlFor(READER, 'not-the-Passw0rd-xyz', DB)
      try {
        const e = await codeOf(read(source({ table: name, connectionEnv: 'GATECRASH_TEST_PG_BAD' })))
        expect(e.code).toBe('ERR_EVIDENCE_UNAVAILABLE')
        expect(e.message).toContain('refused the login')
        expect(e.hint).toContain('GATECRASH_TEST_PG_BAD')
        expect(e.hint).toContain('postgres://user:password@127.0.0.1:5432/db')
        expect(`${e.message} ${e.hint}`).not.toContain('not-the-Passw0rd-xyz')
        expect(`${e.message} ${e.hint}`).not.toContain(READER_PASSWORD)
      } finally {
        delete process.env.GATECRASH_TEST_PG_BAD
      }
    })

    test('an unknown database, an unreachable server: ERR_EVIDENCE_UNAVAILABLE naming the variable', async () => {
      process.env.GATECRASH_TEST_PG_BAD = server.urlFor(READER, READER_PASSWORD, 'no_such_db')
      try {
        const e = await codeOf(read(source({ table: 'events_1', connectionEnv: 'GATECRASH_TEST_PG_BAD' })))
        expect(e.code).toBe('ERR_EVIDENCE_UNAVAILABLE')
        expect(e.message).toContain('"no_such_db" does not exist')
        expect(e.hint).toContain('GATECRASH_TEST_PG_BAD')
        process.env.GATECRASH_TEST_PG_BAD = `postgres://${READER}:${READER_PASSWORD}@127.0.0.1:1/${DB}`
        const refused = await codeOf(read(source({ table: 'events_1', connectionEnv: 'GATECRASH_TEST_PG_BAD' })))
        expect(refused.code).toBe('ERR_EVIDENCE_UNAVAILABLE')
        expect(refused.message).toContain('cannot be reached')
        expect(refused.hint).toContain('GATECRASH_TEST_PG_BAD')
        expect(`${refused.message} ${refused.hint}`).not.toContain(READER_PASSWORD)
      } finally {
        delete process.env.GATECRASH_TEST_PG_BAD
      }
    })

    test('an unknown table or column: ERR_EVIDENCE_MAPPING naming the key and the profile', async () => {
      const t = await codeOf(read(source({ table: 'audit_nope' })))
      expect(t).toMatchObject({ code: 'ERR_EVIDENCE_MAPPING', key: 'evidence.source.table', file: PROFILE })
      expect(t.message).toContain('relation "audit_nope" does not exist')
      const name = await table()
      const c = await codeOf(read(source({ table: name, cursor: 'seq' })))
      expect(c).toMatchObject({ code: 'ERR_EVIDENCE_MAPPING', key: 'evidence.source.cursor', file: PROFILE })
      expect(c.message).toContain('column src.seq does not exist')
      const q = await codeOf(read(source({ query: `SELECT id FROM ${name} WHERE nope`, table: undefined })))
      expect(q).toMatchObject({ code: 'ERR_EVIDENCE_MAPPING', key: 'evidence.source.query', file: PROFILE })
    })

    test('the connection variable unset: ERR_EVIDENCE_MAPPING at open, naming it and the form', () => {
      let e: { code?: string; key?: string; message: string; hint?: string } | undefined
      try {
        source({ table: 'events_1', connectionEnv: 'GATECRASH_TEST_PG_UNSET' })
      } catch (err) {
        e = err as typeof e
      }
      expect(e).toMatchObject({ code: 'ERR_EVIDENCE_MAPPING', key: 'evidence.source.connectionEnv' })
      expect(e!.message).toContain('GATECRASH_TEST_PG_UNSET, which is not set')
      expect(e!.hint).toBe('export GATECRASH_TEST_PG_UNSET=postgres://user:password@127.0.0.1:5432/db before the run (the connection string holds a password: it never lives in the profile)')
    })

    test('a server host outside loopback is refused before any connection', () => {
      process.env.GATECRASH_TEST_PG_BAD = `postgres://${READER}@db.example.com:5432/${DB}`
      try {
        expect(() => source({ table: 'events_1', connectionEnv: 'GATECRASH_TEST_PG_BAD' })).toThrow(expect.objectContaining({ code: 'ERR_TARGET_UNSAFE' }))
      } finally {
        delete process.env.GATECRASH_TEST_PG_BAD
      }
    })
  })
})

describe('the cursor', () => {
  test('runs of consecutive integer ids are packed; anything else is kept as is; it round-trips', () => {
    expect(packIds(['1', '2', '3', '4', '7', '8', '10', 'a', '11', '12', '13'])).toEqual(['1-4', '7', '8', '10', 'a', '11-13'])
    const p = { ...startPosition('audit.events', 2), floor: ['3'], hwm: ['13'], groups: [{ at: 5, hwm: ['13'], ids: ['4', '5', '6', '9', 'x-1'] }], band: { from: null, to: ['3'], count: 3, steps: 1 } }
    expect(decodeCursor(encodeCursor(p))).toEqual(p)
    expect(() => decodeCursor('jsonl1.x')).toThrow(TypeError)
    // a run larger than the bound is no cursor this source wrote
    const huge = 'pg1.' + Buffer.from(JSON.stringify({ s: 't', g: 0, f: null, h: ['1'], d: [[1, ['1'], ['1-99999999']]], b: null })).toString('base64url')
    expect(() => decodeCursor(huge)).toThrow(/out of bounds/)
  })
})
