/**
 * The control mapping (harness/attacks/controls/) is complete and names only real controls: every
 * case and check of the catalog is mapped in every framework it can be, and every id it names exists
 * in its framework, so a new case cannot ship unmapped and a typo cannot invent a control.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import { ISSUED_TOKEN_CHECKS } from '../../../harness/attacks/catalog/issued-token-checks.ts'
import { citedDocument, FRAMEWORKS } from '../../../harness/attacks/controls/frameworks.ts'
import { controlEvidence, rowFor } from '../../../harness/attacks/controls/mapping.ts'
import { DEFAULT_GATES } from '../../../harness/oracle/gates.ts'

const ALL = [...CATALOG, ...ISSUED_TOKEN_CHECKS]
const mapping = controlEvidence()

describe('control mapping', () => {
  test('every case and check has a SP 800-53 / AI RMF row, and every one is in the mapping once', () => {
    expect(ALL.filter((c) => !rowFor(c.id)).map((c) => c.id)).toEqual([])
    const ids = mapping.filter((m) => m.kind === 'case').map((m) => m.id)
    expect(ids.sort()).toEqual(ALL.map((c) => c.id).sort())
  })

  test('every case and check evidences at least one control of SP 800-53, AI RMF and the cited specifications', () => {
    const bare = mapping.filter((m) => m.kind === 'case').flatMap((m) =>
      (['nist-800-53', 'nist-ai-rmf', 'refs'] as const).filter((f) => (m.controls[f] ?? []).length === 0).map((f) => `${m.id}: ${f}`))
    expect(bare).toEqual([])
  })

  test('every case and check carries an OWASP ASI or NHI id', () => {
    const bare = mapping.filter((m) => m.kind === 'case' && (m.controls['owasp-asi'] ?? []).length + (m.controls['owasp-nhi'] ?? []).length === 0)
    expect(bare.map((m) => m.id)).toEqual([])
  })

  test('every control id named exists in its framework', () => {
    const unknown = mapping.flatMap((m) =>
      Object.entries(m.controls).flatMap(([f, ids]) => {
        const known = new Set(FRAMEWORKS.find((x) => x.id === f)?.controls.map((c) => c.id) ?? [])
        return (ids ?? []).filter((id) => !known.has(id)).map((id) => `${m.id}: ${f} ${id}`)
      }))
    expect(unknown).toEqual([])
  })

  test('every owasp id of the catalog is an ASI or NHI control, and every ref names a known document', () => {
    const owasp = new Set([...FRAMEWORKS[0].controls, ...FRAMEWORKS[1].controls].map((c) => c.id))
    expect(ALL.flatMap((c) => c.owasp.filter((o) => !owasp.has(o)).map((o) => `${c.id}: ${o}`))).toEqual([])
    expect(ALL.flatMap((c) => c.refs.filter((r) => citedDocument(r) === null).map((r) => `${c.id}: ${r}`))).toEqual([])
  })

  test('the gates mapped are default gates, so every run has them', () => {
    const metrics = new Set(Object.keys(DEFAULT_GATES).map((k) => k.split('{')[0]))
    expect(mapping.filter((m) => m.kind === 'gate' && !metrics.has(m.id)).map((m) => m.id)).toEqual([])
  })

  test('framework control ids are unique', () => {
    for (const f of FRAMEWORKS) expect(new Set(f.controls.map((c) => c.id)).size, f.id).toBe(f.controls.length)
  })

  test('the longest matching row wins', () => {
    expect(rowFor('replay.dpop-malformed.alg-none')?.sp).toContain('SC-13')
    expect(rowFor('replay.dpop-malformed.not-jwt')?.sp).not.toContain('SC-13')
    expect(rowFor('replay.dpop-jti-reuse.parallel')).toBe(rowFor('replay.dpop-jti-reuse'))
  })
})

describe('docs/controls.md', () => {
  const doc = readFileSync(new URL('../../../docs/controls.md', import.meta.url), 'utf8').split('\n')

  test('every mapped control has its row with the mapping\'s count; every other control is named as not exercised', () => {
    const wrong: string[] = []
    for (const f of FRAMEWORKS) {
      for (const c of f.controls) {
        const n = mapping.filter((m) => (m.controls[f.id] ?? []).includes(c.id)).length
        const cellId = f.id === 'refs' ? c.id : `\`${c.id.replace(/\|/g, '\\|')}\``
        const row = doc.find((l) => l.startsWith(`| ${cellId} | `))
        if (n > 0 && !row?.split(' | ')[2]?.startsWith(String(n))) wrong.push(`${f.id} ${c.id}: ${n} cases, docs row ${row ?? 'missing'}`)
        if (n === 0 && !doc.some((l) => l.includes(c.id))) wrong.push(`${f.id} ${c.id}: not exercised and not named`)
      }
    }
    expect(wrong).toEqual([])
  })
})
