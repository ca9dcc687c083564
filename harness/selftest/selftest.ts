/**
 * The mutation self-test: the catalog against the correct reference target and against every flaw
 * switch. A flaw is detected when at least one of the cases it names turns from pass into a
 * failing verdict AND the self-test's gates fail the run; the correct target must show nothing.
 * A flaw no case's verdict can show (FlawInfo.caughtByGate: evidence altered after it was read) is
 * detected when that gate fails in its variant and holds on the correct target.
 */
import path from 'node:path'
import type { Verdict } from '../contracts/verdict.ts'
import type { FlawInfo, TargetAdapter } from '../contracts/target.ts'
import { FlawUnknown } from '../contracts/errors.ts'
import { sweep, type SweepResult } from './sweep.ts'

/**
 * Variants swept side by side. A variant mostly waits (its target starting, short-lived tokens
 * dying, the evidence settle window): four at a time took 549 s for 83 variants of about 26 s each,
 * with some 5 s of CPU per variant, so more of them overlap on two cores without queueing.
 */
export const DEFAULT_CONCURRENCY = 6

export const DETECTING: readonly Verdict[] = ['breach', 'warn', 'unrecorded', 'misattributed', 'false-deny']
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
  /** the gate that catches a flaw no case's verdict can show (FlawInfo.caughtByGate) */
  caughtByGate?: string
  /** that gate failed in this flaw's variant and held on the correct target */
  detectedByGate: boolean
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
  /**
   * only these flaws (default: all the adapter declares that a case catches); `[]` sweeps the whole
   * catalog against the correct target alone (the CLI's `--correct-only`)
   */
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

/**
 * One flaw's row of the detection matrix from its variant and the correct target's: which of its
 * cases turned from pass into a detecting verdict, whether its gate caught it, and whether the
 * gates failed the run.
 */
export function flawRow(f: FlawInfo, v: VariantResult, correct: VariantResult): FlawRow {
  const changed = Object.entries(v.cases).filter(([id, verdict]) => DETECTING.includes(verdict) && correct.cases[id] === 'pass').map(([id]) => id)
  const detectedBy = changed.filter((id) => f.caughtBy.includes(id))
  const gatesFailed = v.verdict === 'not-ready'
  const gate = f.caughtByGate
  const detectedByGate = gate !== undefined && failed(v, gate) && !failed(correct, gate)
  return {
    flaw: f.name,
    control: f.control,
    caughtBy: f.caughtBy,
    detectedBy,
    alsoChanged: changed.filter((id) => !f.caughtBy.includes(id)),
    gatesFailed,
    ...(gate !== undefined ? { caughtByGate: gate } : {}),
    detectedByGate,
    detected: (detectedBy.length > 0 || detectedByGate) && gatesFailed,
  }
}

/** Whether the gate on `metric` (untagged) failed in a variant. */
function failed(v: VariantResult, metric: string): boolean {
  return v.failedGates.some((g) => g.startsWith(`${metric} `))
}

/**
 * A flaw named on the command line, or FlawUnknown (exit 104): an unknown name, or a fail-open flaw
 * that no case catches (only its chaos scenario does), would otherwise sweep nothing and pass.
 */
function sweepableFlaw(adapter: TargetAdapter, name: string): FlawInfo {
  const flaw = adapter.flaws.find((f) => f.name === name)
  const names = adapter.flaws.filter((f) => f.caughtBy.length > 0).map((f) => f.name)
  if (!flaw) throw new FlawUnknown(`selftest --flaw ${name}: ${adapter.name} has no such flaw`, { hint: `one of: ${names.join(', ')} (\`gatecrash target flaws\`); --correct-only sweeps the catalog against the correct target alone` })
  if (flaw.caughtBy.length === 0) {
    if (flaw.caughtBySpec !== undefined) {
      throw new FlawUnknown(`selftest --flaw ${name}: no attack case can reach it (outside the target contract); the target's spec test ${flaw.caughtBySpec} catches it`, { hint: `npx vitest run --project fast ${flaw.caughtBySpec}; the self-test sweeps ${names.length} flaws a case catches` })
    }
    throw new FlawUnknown(`selftest --flaw ${name}: no attack case catches it; ${flaw.caughtByScenario ? `the chaos scenario ${flaw.caughtByScenario} does` : 'only a fault shows it'}`, { hint: `run that scenario with --flaw ${name}; the self-test sweeps ${names.length} flaws a case catches` })
  }
  return flaw
}

export async function selftest(o: SelftestOptions): Promise<SelftestReport> {
  const t0 = Date.now()
  // Fail-open flaws show only under a fault: their chaos scenarios catch them (test/e2e/chaos*).
  const sweepable = o.adapter.flaws.filter((f) => f.caughtBy.length > 0)
  const flaws: FlawInfo[] = o.flaws ? o.flaws.map((name) => sweepableFlaw(o.adapter, name)) : sweepable
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
    Array.from({ length: Math.max(1, o.concurrency ?? DEFAULT_CONCURRENCY) }, async () => {
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

  const rows: FlawRow[] = flaws.map((f, i) => flawRow(f, variants[i], correct))
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
