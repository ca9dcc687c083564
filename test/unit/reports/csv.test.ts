import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { writeAttemptsCsv, writeEvidenceCsv } from '../../../reports/csv.ts'
import { chain, legit, recordFor } from '../oracle/fixtures.ts'
import { failingRun } from './run-fixture.ts'

/** RFC 4180 reader for the assertions (csv-parse is not a dependency): quoted fields, "" escapes. */
function parse(text: string, _opts: { columns: true }): Record<string, string>[] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++ }
      else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') { row.push(field); field = '' }
    else if (ch === '\n') { row.push(field); rows.push(row); row = []; field = '' }
    else field += ch
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row) }
  const [head, ...body] = rows
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])))
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gatecrash-csv-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('docs/architecture.md run directory: attempts.csv and evidence.csv (csv-stringify)', () => {
  test('attempts.csv: one flat row per attempt with its verdict', async () => {
    const { attempts, graded } = failingRun()
    const file = path.join(dir, 'attempts.csv')
    await writeAttemptsCsv(file, attempts, graded.attempts)
    const rows = parse(await readFile(file, 'utf8'), { columns: true }) as Record<string, string>[]
    expect(rows).toHaveLength(6)
    expect(rows[3]).toMatchObject({
      seq: '4',
      trace_id: 'trace0004',
      kind: 'attack',
      case: 'escalate.tool-scope',
      scheduled_at: '2026-11-26T03:00:00.400Z',
      latency_ms: '11',
      expected_actors: 'subagent_1 > agent_1',
      status: '403',
      error_code: 'insufficient_scope',
      verdict: 'unrecorded',
      evidence_id: '',
    })
  })

  test('evidence.csv: principal, actors and scopes flattened; join and lateness annotated; streams async input', async () => {
    const a = legit(1)
    const records = chain([recordFor(a, { scope: { required: ['tickets:read'], held: ['tickets:read', 'tickets:write'] }, detail: { iss: 'x' } })])
    async function* stream() { yield* records }
    const file = path.join(dir, 'evidence.csv')
    await writeEvidenceCsv(file, stream(), { seqById: new Map([['ev_1', 1]]), lateIds: new Set() })
    const rows = parse(await readFile(file, 'utf8'), { columns: true }) as Record<string, string>[]
    expect(rows).toEqual([expect.objectContaining({
      id: 'ev_1',
      decision: 'allow',
      principal_sub: 'user_1',
      principal_type: 'user',
      actors: 'subagent_1 > agent_1',
      tool: 'tickets.read',
      scope_held: 'tickets:read tickets:write',
      detail: '{"iss":"x"}',
      attempt_seq: '1',
      late: 'no',
      hash: records[0].hash,
    })])
  })

  test('docs/architecture.md safety: formula-looking cells are escaped and token-shaped text is redacted', async () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJl'
    const records = chain([recordFor(legit(1), { reason: '=HYPERLINK("http://evil")', detail: { note: `Bearer ${jwt}` } })])
    const file = path.join(dir, 'evil.csv')
    await writeEvidenceCsv(file, records)
    const text = await readFile(file, 'utf8')
    expect(text).not.toContain(jwt)
    const rows = parse(text, { columns: true }) as Record<string, string>[]
    expect(rows[0].reason.startsWith("'=")).toBe(true)
  })
})
