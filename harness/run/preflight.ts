/**
 * `gatecrash target check <profile>`: one of everything a run does, before a run, so a user learns
 * in seconds what works against their deployment, what does not and why, and which catalog cases a
 * run will cover: discovery, one registration, delegated tokens by exchange (an agent and a
 * sub-agent), one call per tool, and evidence read back and joined by trace id. It changes nothing
 * it need not: a write tool is called only with a fixture the target declares safe or when the
 * user asks (`--call-writes`), and the clients it registered are deleted (RFC 7592) where the
 * target asks for cleanup.
 */
import { CATALOG } from '../attacks/catalog.ts'
import type { IssuedTokenSummary } from '../contracts/issued-token.ts'
import type { IssuedTokenLedger } from '../oracle/issued-ledger.ts'
import { checkJwks, issuedTokenLedger } from './issued-checks.ts'
import type { AttackCase } from '../contracts/attack-case.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import { expectedFor } from '../contracts/identity.ts'
import type { ResourceServerInfo, StartedTarget, TargetAdapter, TargetCapabilities, ToolSpec } from '../contracts/target.ts'
import { openDeclaredEvidence, openEvidenceSource } from '../evidence/open-source.ts'
import type { EvidenceProblems, EvidenceSource } from '../contracts/evidence-source.ts'
import type { HarnessError } from '../contracts/errors.ts'
import { EvidenceReach, reachFailure } from './evidence-reach.ts'
import { readAll } from '../evidence/read-all.ts'
import { epochNow } from '../load/clock.ts'
import { HttpPools } from '../load/http-pool.ts'
import { sendAttempt } from '../load/send-attempt.ts'
import { deprovision } from '../population/provision.ts'
import { HttpClient } from '../protocol/http.ts'
import { judgeConnection } from './connection.ts'
import { legitimateArgs } from './measure/workflow.ts'
import { provisionPhase, type ProvisionPhaseResult } from './provision-phase.ts'
import { coverageGap } from '../attacks/coverage-gap.ts'

export interface PreflightCheck {
  name: string
  ok: boolean
  detail: string
  hint?: string
  /** the error code a run would stop with for the same failure (e.g. ERR_EVIDENCE_MAPPING) */
  code?: string
}

export interface PreflightReport {
  target: string
  checks: PreflightCheck[]
  /** catalog cases a run can cover as far as the target's capabilities tell, and the rest with why */
  cases: { covered: string[]; notCovered: { id: string; reason: string }[] }
  /** a run can start: discovery, registration, exchange, the tool calls and the evidence worked */
  ok: boolean
}

/** How long evidence may take to arrive after the last call (a run's default settle window). */
const EVIDENCE_WAIT_MS = 3_000

/** From what the target states: its capabilities and what it declares (internal paths). */
export function coverageFromCapabilities(target: { capabilities: TargetCapabilities; resources: readonly ResourceServerInfo[] }, catalog: readonly AttackCase[] = CATALOG): PreflightReport['cases'] {
  const covered: string[] = []
  const notCovered: { id: string; reason: string }[] = []
  for (const c of catalog) {
    const reason = coverageGap(c, target)
    if (reason === undefined) covered.push(c.id)
    else notCovered.push({ id: c.id, reason })
  }
  return { covered, notCovered }
}

function failure(e: unknown): { detail: string; hint?: string } {
  const err = e as { message?: string; hint?: string }
  return { detail: err?.message ?? String(e), ...(err?.hint ? { hint: err.hint } : {}) }
}

export interface PreflightOptions {
  dataDir: string
  log?: (line: string) => void
  /** call each write tool without a fixture once, with a run's arguments (`--call-writes`): the user accepts its side effect */
  callWrites?: boolean
}

export async function preflight(adapter: TargetAdapter, options: PreflightOptions): Promise<PreflightReport> {
  const log = options.log ?? (() => {})
  const checks: PreflightCheck[] = []
  let phase: ProvisionPhaseResult | undefined
  let ledger: IssuedTokenLedger | undefined
  // A population of one agent with one sub-agent: one registration and one exchange each.
  const config = { population: { tenants: 1, agents: 1, subAgentsPerAgent: 1, depth: 2 }, scenarios: {} }
  // Every connection the check makes (AS, tools, evidence) under the target's own host list and CA,
  // as a run's would: judged before anything is contacted (ERR_TARGET_UNSAFE, ERR_TARGET_TLS).
  const { hosts, tls } = judgeConnection(adapter.connection)
  const http = new HttpClient({ hosts, tls })
  let declared: Awaited<ReturnType<typeof openDeclaredEvidence>>
  try {
    // as a run does: a source the deployment sends to listens before the deployment starts
    declared = await openDeclaredEvidence(adapter, http)
    const issued = (target: StartedTarget) => (ledger = issuedTokenLedger({}, target)).observe
    phase = await provisionPhase({ config, seed: 1, adapter, flaws: [], dir: options.dataDir, log, stop: new AbortController().signal, issued, evidenceEnv: declared?.env, ...(adapter.connection ? { http } : {}) })
  } catch (e) {
    await declared?.source.close()
    await http.close()
    checks.push({ name: 'discovery, registration and delegated tokens', ok: false, ...failure(e) })
    return { target: adapter.name, checks, cases: { covered: [], notCovered: [] }, ok: false }
  }
  const target = phase.target
  const pools = new HttpPools(4, { hosts, tls })
  try {
    checks.push({ name: 'discovery (RFC 8414)', ok: true, detail: `issuer ${target.issuer}; ${describeCapabilities(target.capabilities)}` })
    const [agent, sub] = phase.identities
    checks.push({ name: 'registration (RFC 7591)', ok: true, detail: `${phase.enrolled.length} clients registered (${phase.registration.initialAccessToken('t_1') === undefined ? 'open registration' : 'with the initial access token'})` })
    checks.push({ name: 'delegated tokens (RFC 8693)', ok: true, detail: `an agent for ${agent.principal} (act ${agent.actors.join(' < ')})${sub ? ` and a sub-agent (act ${sub.actors.join(' < ')})` : ''}, DPoP-bound` })
    if (ledger) {
      await checkJwks(ledger, phase.meta.jwks_uri, http)
      checks.push(issuedCheck(ledger.summary()))
    }
    const traces = await callTools(target, phase, pools, checks, options.callWrites ?? false)
    await checkEvidence(declared?.source ?? openEvidenceSource(target.evidence, { http }), traces, checks)
    const cases = coverageFromCapabilities(target)
    return { target: target.name, checks, cases, ok: checks.every((c) => c.ok) }
  } finally {
    await pools.close()
    if (phase.registration.cleanup === 'delete') await deprovision(phase.enrolled, phase.meta).catch(() => undefined)
    await target.stop().catch(() => {})
    await phase.close()
    await http.close()
  }
}

/** The issued-token checks on the check's own tokens: a failure is named with its first example (token by hash). */
function issuedCheck(summary: IssuedTokenSummary): PreflightCheck {
  const failed = summary.checks.filter((c) => c.failed > 0)
  const judged = summary.checks.filter((c) => c.checked > 0).map((c) => c.id)
  if (failed.length === 0) return { name: 'issued tokens and keys', ok: true, detail: `${summary.tokens} tokens: ${judged.join(', ') || 'no check could judge them'} held` }
  return {
    name: 'issued tokens and keys',
    ok: false,
    detail: failed.map((c) => {
      const e = c.examples[0]
      return `${c.id}: ${e === undefined ? `${c.failed} failed` : `${e.token_hash ? `token ${e.token_hash}: ` : ''}${e.why}`}`
    }).join('; '),
    hint: 'a run grades these as cases (`gatecrash catalog` lists the issued-token checks and their rules); the policy maximum lifetime is the profile\'s policy.maxTokenLifetimeS (default 3600)',
  }
}

function describeCapabilities(c: TargetCapabilities): string {
  const on = (Object.keys(c) as (keyof TargetCapabilities)[]).filter((k) => k !== 'replicas' && c[k])
  return `capabilities: ${on.join(', ') || 'none'}; ${c.replicas} replica(s) per resource server`
}

/**
 * One call per tool of the first resource server (where a run's load goes), by an identity whose
 * scope allows it. A write tool is called only with the fixture the target declares for it, or
 * with a run's arguments when the user passed --call-writes: a check must not book refunds unasked.
 */
async function callTools(target: StartedTarget, phase: ProvisionPhaseResult, pools: HttpPools, checks: PreflightCheck[], callWrites: boolean): Promise<string[]> {
  const rs = target.resources[0]
  const traces: string[] = []
  // reads first: a refused read explains a refused write after it
  for (const tool of [...rs.tools.filter((t) => !t.writes), ...rs.tools.filter((t) => t.writes)]) {
    if (tool.writes && !tool.preflight && !callWrites) {
      checks.push({ name: `tool ${tool.name}`, ok: true, detail: `not called: it writes, and a check changes nothing it need not. ${WRITES_OPT_IN}` })
      continue
    }
    const identity = phase.identities.find((i) => i.scope.includes(tool.scope))
    if (!identity) {
      checks.push({ name: `tool ${tool.name}`, ok: true, detail: `not called: no identity of the check's population holds ${tool.scope}` })
      continue
    }
    const args = tool.preflight ?? legitimateArgs(tool, 1)
    const { record } = await sendAttempt(pools, {
      kind: 'legit', scenario: 'preflight', scheduledAt: epochNow(), rs, tool, tenant: identity.tenant,
      resourceId: args.id, body: args.body, credential: identity.credential, expected: expectedFor(identity, tool, rs),
    })
    const ok = record.status !== null && record.status >= 200 && record.status < 300
    if (ok) traces.push(record.trace_id)
    const how = !tool.writes ? '' : tool.preflight ? ' (its preflight fixture)' : " (--call-writes: a run's arguments)"
    checks.push({
      name: `tool ${tool.name}`,
      ok,
      detail: (record.transport_error ? `transport error ${record.transport_error}` : `${tool.method} ${record.path} → ${record.status}${record.error_code ? ` ${record.error_code}` : ''}`) + how,
      ...(ok ? {} : { hint: refusedHint(rs, tool, args.body) }),
    })
  }
  // A run's identities hold tokens for the first resource server; the others are the cross-audience cases' second audience.
  for (const other of target.resources.slice(1)) {
    for (const tool of other.tools) checks.push({ name: `tool ${tool.name}`, ok: true, detail: `not called: on ${other.audience}, which a run's load does not call (it calls the first resource server, ${rs.audience}; the others serve the cross-audience cases)` })
  }
  return traces
}

const WRITES_OPT_IN = "To check it: --call-writes calls it once with a run's arguments; or declare a call your deployment treats as safe on the tool in the profile, `preflight: { body: {…}, id? }`, which is made without the flag"

function refusedHint(rs: ResourceServerInfo, tool: ToolSpec, body: Record<string, unknown> | undefined): string {
  const hint = `a legitimate call with a DPoP-bound token for ${rs.audience} and scope ${tool.scope} was refused: check the resource server's audience, DPoP and tenant settings`
  if (!tool.writes) return hint
  return `${hint}, and that it accepts the body sent (${body === undefined ? 'none' : JSON.stringify(body)})${tool.preflight ? ": the tool's `preflight` fixture in the profile" : ''}`
}

/**
 * The calls' records read back from the evidence source and joined by trace id. None found is the
 * failure a run's warm-up would stop with (evidence-reach.ts), with its code and hint.
 */
async function checkEvidence(source: EvidenceSource, traces: readonly string[], checks: PreflightCheck[]): Promise<void> {
  const t0 = Date.now()
  const calls = traces.map((traceId) => ({ traceId, tokenHash: null }))
  let reach = new EvidenceReach(calls)
  let problems: EvidenceProblems | undefined
  try {
    const found = new Map<string, EvidenceRecord>()
    const deadline = Date.now() + EVIDENCE_WAIT_MS
    while (found.size < traces.length && Date.now() < deadline) {
      // each read is the whole trail again (small: what the check's calls and the history wrote)
      const read = await readAll(source)
      reach = new EvidenceReach(calls)
      reach.observe(read.records)
      problems = read.problems
      for (const r of read.records) if (r.correlation.trace_id && traces.includes(r.correlation.trace_id)) found.set(r.correlation.trace_id, r)
      if (found.size < traces.length) await new Promise((r) => setTimeout(r, 250))
    }
    const ok = traces.length > 0 && found.size === traces.length
    const none = reachFailure(reach, { kind: source.kind, waitedMs: Date.now() - t0, problems, phase: 'target check' })
    checks.push({
      name: `evidence (${source.kind}, ${source.integrity})`,
      ok,
      detail: traces.length === 0 ? 'no call succeeded, so no record to look for' : none ? none.message : `${found.size} of ${traces.length} calls found by trace id within ${EVIDENCE_WAIT_MS / 1000} s${found.size > 0 ? `: ${[...found.values()].map((r) => `${r.decision} ${r.reason}`).join(', ')}` : ''}`,
      ...(none ? { code: none.code, hint: none.hint } : ok ? {} : { hint: 'the deployment must record each decision with the W3C traceparent trace id it received, where the profile\'s evidence source reads (check its mapping of correlation.trace_id)' }),
    })
  } catch (e) {
    checks.push({ name: 'evidence', ok: false, ...failure(e), ...((e as HarnessError).code ? { code: (e as HarnessError).code } : {}) })
  } finally {
    await source.close()
  }
}
