/**
 * The mutation self-test: the catalog against the correct reference target and against every flaw
 * switch. A flaw is detected when at least one of the cases it names turns from pass into a
 * failing verdict AND the self-test's gates fail the run; the correct target must show nothing.
 */
import path from 'node:path'
import type { Verdict } from '../contracts/verdict.ts'
import type { FlawInfo, TargetAdapter } from '../contracts/target.ts'
import { sweep, type SweepResult } from './sweep.ts'

export const DETECTING: readonly Verdict[] = ['breach', 'warn', 'unrecorded', 'misattributed']
/** what the correct target must never show (design: no false alarm on a correct control) */
export const FALSE_ALARM: readonly Verdict[] = ['breach', 'warn', 'unrecorded', 'misattributed', 'false-deny', 'not-covered']

export interface VariantResult {
  flaw: string | null
  verdict: 'ready' | 'not-ready'
  /** case id → worst verdict in this variant */
  cases: Record<string, Verdict>
  legit: Partial<Record<Verdict, number>>
  failedGates: string[]
  ms: number
}

export interface FlawRow {
  flaw: string
  control: string
  caughtBy: string[]
  /** expected cases that turned from pass into a detecting verdict */
  detectedBy: string[]
  /** other cases that changed too (collateral, for information) */
  alsoChanged: string[]
  gatesFailed: boolean
  detected: boolean
}

export interface SelftestReport {
  caseIds: string[]
  correct: VariantResult
  /** problems on the correct target: `case: verdict` (must be empty) */
  falseAlarms: string[]
  flaws: FlawRow[]
  variants: VariantResult[]
  ok: boolean
  ms: number
}

export interface SelftestOptions {
  adapter: TargetAdapter
  dataDir: string
  /** fast: each flaw is swept with its own expected cases only, one attempt each */
  fast?: boolean
  /** only these flaws (default: all the adapter declares) */
  flaws?: string[]
  concurrency?: number
  onVariant?(v: VariantResult): void
  log?: (line: string) => void
}

function summarize(flaw: string | null, r: SweepResult, ms: number): VariantResult {
  const cases: Record<string, Verdict> = {}
  for (const row of r.run.cases) cases[row.id] = row.verdict
  // A sweep that could not finish proves nothing either way: it counts as failing its gates.
  const verdict = r.verdict === 'ready' ? 'ready' : 'not-ready'
  return { flaw, verdict, cases, legit: r.run.legit.counts, failedGates: r.run.gates.filter((g) => !g.ok).map((g) => `${g.metric} ${g.expression}`), ms }
}

export async function selftest(o: SelftestOptions): Promise<SelftestReport> {
  const t0 = Date.now()
  // Fail-open flaws show only under a fault: their chaos scenarios catch them (test/e2e/chaos*).
  const sweepable = o.adapter.flaws.filter((f) => f.caughtBy.length > 0)
  const flaws: FlawInfo[] = o.flaws ? sweepable.filter((f) => o.flaws!.includes(f.name)) : sweepable
  const per = o.fast ? 1 : 3
  const runVariant = async (flaw: FlawInfo | null): Promise<VariantResult> => {
    const started = Date.now()
    const r = await sweep({
      adapter: o.adapter,
      flaws: flaw ? [flaw.name] : [],
      cases: o.fast && flaw ? flaw.caughtBy : undefined,
      attemptsPerCase: per,
      legitAttempts: o.fast ? 10 : 30,
      dataDir: path.join(o.dataDir, flaw?.name ?? 'correct'),
      log: o.log,
    })
    const v = summarize(flaw?.name ?? null, r, Date.now() - started)
    o.onVariant?.(v)
    return v
  }
  const correct = await runVariant(null)
  const variants: VariantResult[] = new Array(flaws.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.max(1, o.concurrency ?? 2) }, async () => {
      while (next < flaws.length) {
        const i = next++
        variants[i] = await runVariant(flaws[i])
      }
    }),
  )
  const falseAlarms = Object.entries(correct.cases)
    .filter(([, v]) => FALSE_ALARM.includes(v))
    .map(([id, v]) => `${id}: ${v}`)
  for (const [v, n] of Object.entries(correct.legit)) if (v !== 'pass' && n) falseAlarms.push(`legitimate traffic: ${n} ${v}`)
  if (correct.verdict !== 'ready') falseAlarms.push(`gates failed: ${correct.failedGates.join('; ')}`)

  const rows: FlawRow[] = flaws.map((f, i) => {
    const v = variants[i]
    const changed = Object.entries(v.cases).filter(([id, verdict]) => DETECTING.includes(verdict) && correct.cases[id] === 'pass').map(([id]) => id)
    const detectedBy = changed.filter((id) => f.caughtBy.includes(id))
    const gatesFailed = v.verdict === 'not-ready'
    return { flaw: f.name, control: f.control, caughtBy: f.caughtBy, detectedBy, alsoChanged: changed.filter((id) => !f.caughtBy.includes(id)), gatesFailed, detected: detectedBy.length > 0 && gatesFailed }
  })
  return {
    caseIds: Object.keys(correct.cases).sort(),
    correct,
    falseAlarms,
    flaws: rows,
    variants,
    ok: falseAlarms.length === 0 && rows.every((r) => r.detected),
    ms: Date.now() - t0,
  }
}
