import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import { credentialShapes } from '../../../harness/protocol/redact.ts'
import { gradeRecords } from '../../../harness/run/grade-records.ts'
import { ISSUED_TOKEN_CHECKS } from '../../../harness/attacks/catalog/issued-token-checks.ts'
import { IssuedTokenLedger } from '../../../harness/oracle/issued-ledger.ts'
import { attack, chain, legit, recordFor } from './fixtures.ts'

const RAW = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLWJ5dGVz'

describe('evidence.no-secrets (evidence schema, No secrets)', () => {
  test('credentialShapes names what it found by kind, never the value, the same on every call', () => {
    expect(credentialShapes(`{"authorization":"DPoP ${RAW}"}`)).toEqual(['a JWT', 'an Authorization value'])
    expect(credentialShapes(`{"authorization":"DPoP ${RAW}"}`)).toEqual(['a JWT', 'an Authorization value'])
    expect(credentialShapes('{"proof_jti_hash":"n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg"}')).toEqual([])
  })

  test('a deny record whose detail holds the raw token fails the MUST check: a breach row naming the record, never the token, and the run is not ready', () => {
    const a = legit(1)
    const b = attack(2, 'escalate.tool-scope')
    const evidence = chain([recordFor(a), recordFor(b, { decision: 'deny', reason: 'scope.insufficient', detail: { authorization: `DPoP ${RAW}` } })])
    const g = gradeRecords({ attempts: [a, b], evidence, catalog: CATALOG })
    const row = g.cases.find((r) => r.id === 'evidence.no-secrets')!
    expect(row).toMatchObject({ verdict: 'breach', class: 'evidence', attempts: 2, counts: { pass: 1, breach: 1 } })
    expect(row.examples[0].why).toBe(`record ${evidence[1].id}: its detail holds a JWT and an Authorization value`)
    expect(JSON.stringify(g.cases)).not.toContain(RAW)
    expect(g.gates.find((x) => x.metric === 'gatecrash_breaches')).toMatchObject({ ok: false })
  })

  test('records with hashes only pass', () => {
    const a = legit(1)
    const g = gradeRecords({ attempts: [a], evidence: chain([recordFor(a)]), catalog: CATALOG })
    expect(g.cases.find((r) => r.id === 'evidence.no-secrets')).toMatchObject({ verdict: 'pass', attempts: 1 })
  })

  test('a run\'s issued-token ledger never stands in for the evidence check (it judges tokens and keys only)', () => {
    const ledger = new IssuedTokenLedger(ISSUED_TOKEN_CHECKS, 3600)
    expect(ledger.summary().checks.map((c) => c.id)).not.toContain('evidence.no-secrets')
    const a = legit(1)
    const g = gradeRecords({ attempts: [a], evidence: chain([recordFor(a)]), catalog: CATALOG, issued: ledger.summary() })
    expect(g.cases.filter((r) => r.id === 'evidence.no-secrets')).toEqual([expect.objectContaining({ verdict: 'pass', attempts: 1 })])
  })
})
