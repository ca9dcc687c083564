/**
 * Run stores for tests: a fresh run.db in a scratch folder, filled from hand-built or generated
 * attempts and evidence (the oracle fixtures), and a seeded generator of mixed traffic that touches
 * every join rule: trace ids, token-hash fallback, late and altered records, concurrency groups.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { RunStore } from '../../../harness/run/run-store.ts'
import { attack, chain, legit, recordFor, T0 } from '../oracle/fixtures.ts'

const made: string[] = []

export async function scratch(prefix = 'gatecrash-store-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** Removes every folder scratch() made (call from afterAll). */
export async function removeScratch(): Promise<void> {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true })
}

export async function storeWith(attempts: readonly AttemptRecord[], evidence: readonly EvidenceRecord[]): Promise<RunStore> {
  const store = RunStore.open(path.join(await scratch(), 'run.db'))
  store.appendAttempts(attempts)
  store.appendEvidence(evidence)
  return store
}

/** mulberry32: small, seeded, good enough to vary fixtures reproducibly */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const CASES = ['escalate.tool-scope', 'replay.dpop-jti-reuse', 'unattributed.no-credential', 'test.parallel', 'test.control', 'replay.no-such-case']

/**
 * `n` attempts of mixed traffic and the evidence a mostly-correct target would write for them, with
 * a share of every irregularity the oracle must handle.
 */
export function mixedTraffic(n: number, seed: number): { attempts: AttemptRecord[]; evidence: EvidenceRecord[]; deadline: number } {
  const rnd = prng(seed)
  const attempts: AttemptRecord[] = []
  for (let seq = 1; seq <= n; seq++) {
    const r = rnd()
    const token = { token_hash: `tok-${Math.floor(rnd() * 7)}` }
    if (r < 0.45) {
      const status = rnd() < 0.05 ? 403 : rnd() < 0.03 ? null : 200
      attempts.push(legit(seq, { ...token, ...(status === null ? { status, transport_error: 'ECONNRESET' } : status === 403 ? { status, error_code: 'insufficient_scope', challenge_scheme: 'DPoP' } : {}) }))
      continue
    }
    const id = CASES[Math.floor(rnd() * CASES.length)]
    const accepted = rnd() < 0.1
    const over: Partial<AttemptRecord> = { ...(id === 'unattributed.no-credential' ? {} : token) }
    if (accepted || id === 'test.control') Object.assign(over, { status: 200, error_code: null, challenge_scheme: null })
    if (id === 'test.parallel') over.group = `g${Math.floor(seq / 4)}`
    attempts.push(attack(seq, id, over))
  }
  const deadline = T0 + n * 100 - 2_000
  const inputs = attempts.flatMap((a) => {
    const r = rnd()
    if (r < 0.07) return [] // never recorded
    const over: Parameters<typeof recordFor>[1] = { component: rnd() < 0.5 ? 'rs-1' : 'rs-2' }
    if (a.status !== null && a.status < 300) Object.assign(over, { decision: 'allow', reason: 'ok' })
    if (r < 0.15 && a.token_hash) over.correlation = { token_hash: a.token_hash } // no trace context
    else if (r < 0.18) over.actors = ['someone-else']
    else if (r < 0.2) over.ts = new Date(deadline + 10_000 + a.seq).toISOString() // late
    return [recordFor(a, over)]
  })
  const evidence = chain(inputs).map((rec, i) => (i % 97 === 13 ? { ...rec, reason: 'altered' } : rec)) // altered after writing
  return { attempts, evidence, deadline }
}
