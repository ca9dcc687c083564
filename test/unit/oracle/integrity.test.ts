/**
 * Evidence integrity decides the verdict (docs/evidence-schema.md "Integrity"): the integrity gate
 * fails when a chain breaks (an altered record, a deleted one) or when history is rewritten, which
 * only the source's head samples reveal: a tail cut off with the head rolled back, a record edited
 * with every later hash recomputed. Unchained sources are not judged, and say so.
 */
import { describe, expect, test } from 'vitest'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { canonicalJson, recordHash, storedHashRecomputes } from '../../../harness/evidence/chain.ts'
import { checkChain } from '../../../harness/evidence/integrity.ts'
import { gradeRecords, type GradeRecordsInput } from '../../../harness/run/grade-records.ts'
import { chain, legit, recordFor } from './fixtures.ts'

const attempts = Array.from({ length: 6 }, (_, i) => legit(i + 1))
/** six allow records of one writer, rs-1: ev_1 … ev_6 */
const trail = chain(attempts.map((a) => recordFor(a)))
const head = (i: number) => ({ 'rs-1': trail[i].hash })

/** Re-hashes a chain from record `from` on, keeping every link: what a careful forger does. */
function rehashFrom(records: EvidenceRecord[], from: number): EvidenceRecord[] {
  const out = records.map((r) => ({ ...r }))
  for (let i = from; i < out.length; i++) {
    out[i].prev = i === 0 ? null : out[i - 1].hash
    out[i].hash = recordHash(out[i])
  }
  return out
}

function integrityGate(input: Omit<GradeRecordsInput, 'attempts'> & { attempts?: GradeRecordsInput['attempts'] }) {
  const g = gradeRecords({ attempts, ...input })
  return { g, gate: g.gates.find((x) => x.metric === 'gatecrash_evidence_integrity')! }
}

describe('gatecrash_evidence_integrity (a default gate, rate==1, one sample per chain)', () => {
  test('an intact chain whose every sampled head is in it passes', () => {
    const { g, gate } = integrityGate({ evidence: trail, heads: [{ after: 0, heads: {} }, { after: 2, heads: head(3) }, { after: 6, heads: head(5) }] })
    expect(gate).toMatchObject({ ok: true, observed: 1, source: 'default' })
    expect(g.evidence.chains).toEqual([{ component: 'rs-1', records: 6, ok: true, problem: null }])
    expect(g.evidence.integrity).toBe('chained')
  })

  test('a record\'s field changed with its hash left alone: the chain breaks at it, the gate names it', () => {
    const altered = trail.map((r) => (r.id === 'ev_3' ? { ...r, reason: 'ok.forged' } : r))
    const { gate } = integrityGate({ evidence: altered })
    expect(gate).toMatchObject({ ok: false, observed: 0, detail: 'chain rs-1: record ev_3: hash does not recompute' })
  })

  test('a record deleted: the next one no longer links', () => {
    const { gate } = integrityGate({ evidence: trail.filter((r) => r.id !== 'ev_4') })
    expect(gate).toMatchObject({ ok: false, detail: 'chain rs-1: record ev_5: prev does not link to the record before' })
  })

  test('a field changed and every later hash recomputed: links hold, but a head sampled earlier is no longer in the chain', () => {
    const forged = rehashFrom(trail.map((r) => (r.id === 'ev_3' ? { ...r, decision: 'deny' as const, reason: 'scope.insufficient' } : r)), 2)
    // without a head sample the forgery is invisible: that is why heads are sampled during the run
    expect(integrityGate({ evidence: forged }).gate.ok).toBe(true)
    const { gate } = integrityGate({ evidence: forged, heads: [{ after: 1, heads: head(3), at: Date.parse('2026-11-26T03:00:01Z') }] })
    expect(gate.ok).toBe(false)
    expect(gate.detail).toMatch(/^chain rs-1: head \S+… reported at 2026-11-26T03:00:01.000Z is not in the chain from record 1 of the run on: the chain was cut back or rewritten$/)
  })

  test('the tail cut off and the head rolled back: a head reported after the tail was read is an earlier record', () => {
    // all six read while the run went; the final sample (after the settle window) names ev_4
    const { gate } = integrityGate({ evidence: trail, heads: [{ after: 6, heads: head(3) }] })
    expect(gate.ok).toBe(false)
    expect(gate.detail).toMatch(/head \S+… reported at .* is not in the chain from record 6 of the run on/)
    // the same head reported while only four records had been read is fine: the chain went on from there
    expect(integrityGate({ evidence: trail, heads: [{ after: 4, heads: head(3) }] }).gate.ok).toBe(true)
  })

  test('a record delivered again with other content was rewritten', () => {
    const { gate } = integrityGate({ evidence: [...trail, { ...trail[1], reason: 'ok.rewritten' }] })
    expect(gate).toMatchObject({ ok: false, detail: 'chain rs-1: record ev_2 was delivered again with other content: history rewritten' })
  })

  test('the first record of the run must link to the head read before it', () => {
    const { gate } = integrityGate({ evidence: trail.slice(2), chainStart: { 'rs-1': trail[0].hash } })
    expect(gate).toMatchObject({ ok: false, detail: 'chain rs-1: record ev_3: prev does not link to the record before' })
    expect(integrityGate({ evidence: trail.slice(2), chainStart: { 'rs-1': trail[1].hash } }).gate.ok).toBe(true)
  })

  test('unchained source: the gate has nothing to judge (observed null, holds), run.json says unchained, and a scenario can require a tamper-evident trail', () => {
    const plain = trail.map(({ prev: _p, hash: _h, ...r }) => ({ ...r, prev: null, hash: '' }) as EvidenceRecord)
    const { g, gate } = integrityGate({ evidence: plain, integrity: 'unchained' })
    expect(gate).toMatchObject({ ok: true, observed: null })
    expect(g.evidence).toMatchObject({ integrity: 'unchained', chains: [], tampered: 0 })
    // records without a hash still join their attempts: only the chain proof is missing
    expect(g.legit.counts).toEqual({ pass: 6 })
    const required = gradeRecords({ attempts, evidence: plain, integrity: 'unchained', thresholds: { gatecrash_evidence_tamper_evident: ['rate==1'] } })
    expect(required.gates.find((x) => x.metric === 'gatecrash_evidence_tamper_evident')).toMatchObject({ ok: false, observed: 0, source: 'scenario' })
  })
})

describe('checkChain (the same rules, for one writer\'s records in memory)', () => {
  test('names the first bad record and the head', () => {
    expect(checkChain('rs-1', trail)).toEqual({ component: 'rs-1', records: 6, brokenAt: null, problem: null, head: trail[5].hash })
    expect(checkChain('rs-1', trail.filter((r) => r.id !== 'ev_2'))).toMatchObject({ brokenAt: 1, problem: 'record ev_3: prev does not link to the record before', head: null })
  })
})

describe('storedHashRecomputes (the tamper check over a canonical store\'s text, evidence-schema "Integrity")', () => {
  test('an intact record recomputes; one field changed does not; a record without its member is not judged here', () => {
    const r = trail[2]
    expect(storedHashRecomputes(canonicalJson(r), r.hash as string)).toBe(true)
    expect(storedHashRecomputes(canonicalJson({ ...r, decision: 'deny' }), r.hash as string)).toBe(false)
    expect(storedHashRecomputes(canonicalJson({ ...r, hash: undefined }), r.hash as string)).toBeUndefined()
    // each answer is the one recordHash gives on the parsed record
    for (const x of trail) expect(storedHashRecomputes(canonicalJson(x), x.hash as string)).toBe(recordHash(x) === x.hash)
  })

  test('a nested "hash" member (in detail, before the record\'s own) is kept: only the record\'s own is cut', () => {
    const withDetail = { ...trail[0], detail: { hash: 'not-the-record-hash', note: 'x' } } as EvidenceRecord
    const sealed = { ...withDetail, hash: recordHash(withDetail) }
    expect(storedHashRecomputes(canonicalJson(sealed), sealed.hash as string)).toBe(true)
    // the same value nested and on the record: the nested one was hashed, so it stays; tampering still shows
    const copy = { ...sealed, detail: { hash: sealed.hash } } as EvidenceRecord
    expect(storedHashRecomputes(canonicalJson(copy), sealed.hash as string)).toBe(recordHash(copy) === copy.hash)
  })

  test('the hash value found elsewhere first, or one a string escapes, is never judged intact (as recordHash judges it)', () => {
    const r = trail[1]
    // the value earlier in another member (the record altered so): not judged intact here either
    const echoed = { ...r, client_id: r.hash } as EvidenceRecord
    expect(storedHashRecomputes(canonicalJson(echoed), r.hash as string)).not.toBe(true)
    expect(recordHash(echoed) === echoed.hash).toBe(false)
    for (const odd of ['a"b', 'back\\slash', `${r.hash}"`, '']) {
      const x = { ...r, hash: odd } as EvidenceRecord
      expect(storedHashRecomputes(canonicalJson(x), odd), JSON.stringify(odd)).not.toBe(true)
      expect(recordHash(x) === x.hash).toBe(false)
    }
  })
})
