/**
 * run.json, schema version 1: everything a reporter or a board needs about one run. Reporters read
 * only this (plus the attempt and evidence logs for CSV), so `gatecrash report <run-dir>` can
 * re-render any run.
 */
import type { Verdict } from '../oracle/verdict.ts'

export const RUN_SCHEMA = 'gatecrash.run/1'

export type RunVerdict = 'ready' | 'not-ready' | 'incomplete'

export interface GateResult {
  /** metric with optional tag filter, e.g. `gatecrash_warns{case:replay.dpop-jti-reuse}` */
  metric: string
  /** k6-grammar expression, e.g. `count==0` */
  expression: string
  ok: boolean
  /** the value the expression was evaluated on (null when the metric had no samples) */
  observed: number | null
  /** where the gate came from */
  source: 'default' | 'scenario'
  /** attack cases whose attempts made this gate fail (empty when ok) */
  cases: string[]
}

export interface CaseRow {
  id: string
  class: string
  grading: string
  refs: string[]
  attempts: number
  counts: Partial<Record<Verdict, number>>
  /** worst verdict seen for this case */
  verdict: Verdict
  /** a few examples of failing attempts: trace id and why */
  examples: { trace_id: string; verdict: Verdict; why: string }[]
}

export interface TrendSummary {
  count: number
  min: number
  max: number
  avg: number
  med: number
  p90: number
  p95: number
  p99: number
}

export interface RunJson {
  schema: typeof RUN_SCHEMA
  run_id: string
  verdict: RunVerdict
  /** why the run stopped early, if it did */
  stopped?: string
  started_at: string
  ended_at: string
  tool: { name: 'gatecrash'; version: string; node: string; catalog: string }
  scenario: { file: string; name: string }
  seed: number
  target: { name: string; version: string; flaws: string[]; issuer: string }
  population: { tenants: number; principals: number; agents: number; sub_agents: number; max_depth: number }
  load: {
    scenarios: { name: string; executor: string; target_rate?: number; achieved_rate: number; iterations: number; dropped_iterations: number }[]
    attempts: number
    legit: number
    attacks: number
    duration_s: number
  }
  metrics: {
    http_req_duration: TrendSummary
    /** latency of attack attempts only (the deny path) */
    deny_path_duration: TrendSummary
    [name: string]: unknown
  }
  gates: GateResult[]
  cases: CaseRow[]
  legit: { attempts: number; counts: Partial<Record<Verdict, number>> }
  evidence: {
    records: number
    matched: number
    late: number
    /** records whose hash does not recompute: altered after writing, so they count as no evidence */
    tampered?: number
    chains: { component: string; records: number; ok: boolean; problem: string | null }[]
  }
  /** sample delegation chains (principal → agent → sub-agent), by id only */
  delegation_samples: { principal: string; chain: string[]; scope: string }[]
  files: string[]
}
