/** The bench's result shape (bench/results/latest.json) and its markdown table. */

export interface CpuRow {
  key: string
  label: string
  unit: 'req' | 'op'
  cpuUsMedian: number
  cpuUsRuns: number[]
  rateMedian: number
  /** trivial server CPU per request while this client ran (NaN for sign/proof) */
  serverUsMedian: number
  /** client CPU ÷ wall time (1 = one core busy): well below 1 means the client was starved or waiting, and its CPU per request inflated */
  coreShareMedian: number
  /** requests that did not get a 200 */
  failures: number
}

export interface OpenModelLevel {
  fraction: number
  rate: number
  accuracyMedian: number
  accuracyRuns: number[]
  achievedMedian: number
  lagP50UsMedian: number
  lagP99UsMedian: number
  latencyP99MsMedian: number
  cpuUsPerAttemptMedian: number
  dropped: number
  errors: number
}

export interface OpenModelBlock {
  target: string
  topRate: number
  firstFailRate: number | null
  probes: { rate: number; accuracy: number; lagP99Us: number; dropped: number; pass: boolean }[]
  levels: OpenModelLevel[]
  note?: string
}

export interface MemoryRow {
  variant: string
  /** -1 for the marginal row (slope between the two sizes) */
  requested: number
  identities: number
  coldRss: number
  warmRss: number
  warmHeap: number
  proofCpuUs: number
  marginal?: boolean
  /** per repetition (the table shows the median) */
  warmRssRuns?: number[]
  /** the key cache's capacity in that run (identity-key.ts) */
  keyCacheCapacity?: number
}

export interface KeyCacheSection {
  capacity: number
  rows: { key: string; label: string; cpuUsMedian: number; cpuUsRuns: number[] }[]
}

export interface JoinSection {
  n: number
  reps: number
  setupMs: number
  storeMb: number
  /** what the generator intended (bench/lib/join-rows.ts) */
  expected: { joined: number; trace: number; tokenWindow: number; verdicts: Record<string, number>; legit: number; attacks: number; cases: number }
  gatecrash: {
    wallMsRuns: number[]
    wallMsMedian: number
    cpuMsMedian: number
    heapBeforeMbMedian: number
    heapAfterMbMedian: number
    /** heapUsed after GC, after − before the step, per repetition */
    retainedMbRuns: number[]
    rssBeforeMbMedian: number
    peakRssMbMedian: number
    joins?: { trace: number; tokenWindow: number; attemptsJoined: number }
    verdicts?: Record<string, number>
  }
  floor: { wallMsRuns: number[]; wallMsMedian: number; indexMsMedian: number; peakRssMbMedian: number; matches: number }
  ratioRuns: number[]
  ratioMedian: number
  /** where a repetition's joins or verdicts differed from what was intended (empty: none) */
  problems: string[]
}

export type IngestRow =
  | { kind: string; available: false; why: string }
  | {
      kind: string
      available: true
      records: number
      recordsPerSecRuns: number[]
      recordsPerSecMedian: number
      writeMsMedian: number
      lag?: { rate: number; seconds: number; written: number; read: number; p50Ms: number; p95Ms: number; maxMs: number; pollMs: number }
    }

/** the join section's criteria (issue 14) */
export const JOIN_MAX_RATIO = 3
export const JOIN_MAX_WALL_S = 30
/** retained heap growth over the join + grade that still counts as flat */
export const JOIN_MAX_RETAINED_MB = 32

export interface BenchResults {
  environment: { node: string; cpus: number; cpuModel: string; loadavgStart: number[]; loadavgEnd?: number[]; commit: string; dirty: boolean; date: string }
  settings: Record<string, number | boolean>
  cpu: { rows: CpuRow[]; ratioRuns: number[]; ratioMedian: number } | null
  openModel: OpenModelBlock[]
  memory: MemoryRow[] | null
  keyCache?: KeyCacheSection
  join?: JoinSection
  ingest?: IngestRow[]
  /** `--only` runs: the sections kept from earlier runs, and which run measured them */
  previous?: { date: string; commit: string; dirty: boolean; sections: string[] }[]
  errors: string[]
  elapsedS: number
  acceptance?: Acceptance[]
}

export interface Acceptance {
  check: string
  measured: string
  pass: boolean | null
}

/** 5 KB read strictly: 5,000 bytes (5 KiB would be 5,120). */
export const MEMORY_BUDGET_BYTES = 5000

function median(values: number[]): number {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (xs.length === 0) return Number.NaN
  const mid = xs.length >> 1
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
}

const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '–')
const pct = (x: number, d = 2) => (Number.isFinite(x) ? `${(x * 100).toFixed(d)} %` : '–')
const kib = (b: number) => (Number.isFinite(b) ? `${(b / 1024).toFixed(2)} KiB` : '–')

export function acceptance(r: BenchResults): Acceptance[] {
  const out: Acceptance[] = []
  const row = (k: string) => r.cpu?.rows.find((x) => x.key === k)
  const g = row('gatecrash')
  const a = row('autocannon')
  const s = row('signBare')
  if (g && a && s) {
    const limit = 1.5 * (a.cpuUsMedian + s.cpuUsMedian)
    out.push({
      check: 'gatecrash CPU per DPoP attempt ≤ 1.5 × (autocannon CPU per request + bare ES256 sign CPU), same run',
      measured: `${fmt(g.cpuUsMedian, 1)} µs vs 1.5 × (${fmt(a.cpuUsMedian, 1)} + ${fmt(s.cpuUsMedian, 1)}) = ${fmt(limit, 1)} µs; ratio to (autocannon + sign) ${fmt(r.cpu!.ratioMedian, 2)} (repetitions ${r.cpu!.ratioRuns.map((x) => fmt(x, 2)).join(' / ')})`,
      pass: g.cpuUsMedian <= limit,
    })
  } else out.push({ check: 'CPU per attempt vs autocannon + sign', measured: 'not measured', pass: null })
  const trivial = r.openModel.find((b) => b.target.startsWith('trivial'))
  const half = trivial?.levels.find((l) => l.fraction === 0.5)
  if (trivial && half) {
    out.push({
      check: 'achieved arrival rate within 1 % of target at 50 % of the top rate (trivial server)',
      measured: `${pct(half.accuracyMedian)} of ${fmt(half.rate)}/s (median; runs ${half.accuracyRuns.map((x) => pct(x)).join(' / ')}; top rate ${fmt(trivial.topRate)}/s)`,
      pass: half.accuracyMedian >= 0.99,
    })
  } else out.push({ check: 'achieved rate within 1 % at 50 % of the top rate', measured: 'not measured', pass: null })
  const mem = r.memory?.filter((m) => !m.marginal && m.variant === 'run')
  const big = mem?.sort((x, y) => y.requested - x.requested)[0]
  if (big) {
    out.push({
      check: `≤ 5 KB (read as ${fmt(MEMORY_BUDGET_BYTES)} B; 5 KiB would be 5,120 B) harness RSS per identity at ${fmt(big.requested)} identities (after signing; key, registration, current token)`,
      measured: `${fmt(big.warmRss)} B = ${kib(big.warmRss)} (median; runs ${(big.warmRssRuns ?? []).map((x) => fmt(x)).join(' / ')})`,
      pass: big.requested >= 100_000 ? big.warmRss <= MEMORY_BUDGET_BYTES : null,
    })
  } else out.push({ check: '≤ 5 KB RSS per identity at 100k identities', measured: 'not measured', pass: null })
  const j = r.join
  if (j) {
    const g = j.gatecrash
    const ok = j.problems.length === 0
    out.push({
      check: `join + grade of ${fmt(j.n)} attempts against ${fmt(j.n)} records from the run store: joins and verdict mix as the generator intended, the SQL floor's match count equal`,
      measured: ok ? `${fmt(g.joins?.attemptsJoined ?? 0)} attempts joined (${fmt(g.joins?.trace ?? 0)} by trace id, ${fmt(g.joins?.tokenWindow ?? 0)} by token and window); floor ${fmt(j.floor.matches)} matches; verdicts ${Object.entries(g.verdicts ?? {}).map(([v, n]) => `${v} ${fmt(n)}`).join(', ')}` : j.problems.slice(0, 3).join('; '),
      pass: ok,
    })
    out.push({
      check: `gatecrash join + grade ≤ ${JOIN_MAX_RATIO} × the SQL floor (one statement over the same rows, same run)`,
      measured: `${fmt(g.wallMsMedian / 1000, 1)} s vs ${fmt(j.floor.wallMsMedian / 1000, 2)} s: ${fmt(j.ratioMedian, 1)} × (repetitions ${j.ratioRuns.map((x) => fmt(x, 1)).join(' / ')})`,
      pass: j.ratioMedian <= JOIN_MAX_RATIO,
    })
    out.push({
      check: `gatecrash join + grade of ${fmt(j.n)} ≤ ${JOIN_MAX_WALL_S} s wall time on this machine`,
      measured: `${fmt(g.wallMsMedian / 1000, 1)} s (median; runs ${g.wallMsRuns.map((x) => fmt(x / 1000, 1)).join(' / ')})`,
      pass: j.n >= 1_000_000 ? g.wallMsMedian <= JOIN_MAX_WALL_S * 1000 : null,
    })
    const retained = median(g.retainedMbRuns)
    out.push({
      check: `memory flat through the join + grade: retained heap growth after GC ≤ ${JOIN_MAX_RETAINED_MB} MB`,
      measured: `heapUsed after GC ${fmt(g.heapBeforeMbMedian, 1)} → ${fmt(g.heapAfterMbMedian, 1)} MB (growth ${g.retainedMbRuns.map((x) => fmt(x, 1)).join(' / ')} MB); peak RSS ${fmt(g.peakRssMbMedian)} MB from ${fmt(g.rssBeforeMbMedian)} MB at the start`,
      pass: retained <= JOIN_MAX_RETAINED_MB,
    })
  }
  return out
}

export function renderMarkdown(r: BenchResults): string {
  r.acceptance = acceptance(r)
  const e = r.environment
  const L: string[] = []
  L.push(`### gatecrash bench: ${e.date.slice(0, 16).replace('T', ' ')} UTC`)
  L.push('')
  L.push(`Node ${e.node}, ${e.cpus} × ${e.cpuModel}, load average ${e.loadavgStart.join(' ')} → ${(e.loadavgEnd ?? []).join(' ')}; commit ${e.commit}${e.dirty ? ' (+ uncommitted changes)' : ''}; ${r.settings.reps} repetitions${r.settings.cpuReps !== undefined && r.settings.cpuReps !== r.settings.reps ? ` (client CPU ${r.settings.cpuReps})` : ''}, medians; ${r.elapsedS} s${r.settings.quick ? '; QUICK run (shorter windows, not for the record)' : ''}.`)
  L.push('')
  for (const p of r.previous ?? []) L.push(`Kept from the run of ${p.date.slice(0, 16).replace('T', ' ')} UTC (commit ${p.commit}${p.dirty ? ' + uncommitted changes' : ''}), not measured now: ${p.sections.join(', ')}.`)
  if (r.previous?.length) L.push('')
  L.push('**Acceptance**')
  L.push('')
  L.push('| check | measured | holds |')
  L.push('|---|---|---|')
  for (const a of r.acceptance) L.push(`| ${a.check} | ${a.measured} | ${a.pass === null ? 'n/a' : a.pass ? 'yes' : '**no**'} |`)
  L.push('')
  if (r.cpu) {
    L.push(`**Client CPU per request**: saturated closed loop, ${r.settings.connections} connections, trivial loopback server (node:http, 200 + 11-byte JSON) in its own process; each client in its own process, ${fmt(Number(r.settings.cpuMeasureMs) / 1000, 1)} s measured after ${fmt(Number(r.settings.cpuWarmMs) / 1000, 1)} s warm-up; CPU = user + system of the client process; ${r.settings.cpuReps ?? r.settings.reps} repetitions, order rotated, medians. A client core share well below 100 % means it was starved by other load or waiting, which inflates CPU per request (wake-ups).`)
    L.push('')
    L.push('| client | CPU µs per op (median) | runs | throughput (median) | client core share | server µs/req | non-200 |')
    L.push('|---|---|---|---|---|---|---|')
    for (const c of r.cpu.rows) {
      L.push(`| ${c.label} | **${fmt(c.cpuUsMedian, 1)}** | ${c.cpuUsRuns.map((x) => fmt(x, 1)).join(' / ')} | ${fmt(c.rateMedian)} ${c.unit === 'req' ? 'req/s' : 'ops/s'} | ${c.unit === 'req' ? pct(c.coreShareMedian, 0) : '–'} | ${fmt(c.serverUsMedian, 1)} | ${c.unit === 'req' ? c.failures : '–'} |`)
    }
    L.push('')
  }
  for (const b of r.openModel) {
    L.push(`**Open model, ${b.target}** (runConstantArrivalRate, maxVUs ${r.settings.maxVUs}; achieved = min(executor's rate, started ÷ real dispatch window))${b.note ? `: ${b.note}` : ''}.`)
    L.push(`Top rate (achieved within ${pct(Number(r.settings.tolerance), 0)} of target, no drops or errors): **${fmt(b.topRate)}/s**${b.firstFailRate ? `, first failing rate ${fmt(b.firstFailRate)}/s` : ''}; probes: ${b.probes.map((p) => `${fmt(p.rate)} ${p.pass ? '✓' : '✗'}`).join(', ')}.`)
    L.push('')
    L.push('| level | target rate | achieved / target (median) | runs | lag p50 | lag p99 | latency p99 from schedule | client CPU µs/attempt | dropped / errors |')
    L.push('|---|---|---|---|---|---|---|---|---|')
    for (const l of b.levels) {
      L.push(`| ${pct(l.fraction, 0)} of top | ${fmt(l.rate)}/s | **${pct(l.accuracyMedian)}** | ${l.accuracyRuns.map((x) => pct(x)).join(' / ')} | ${fmt(l.lagP50UsMedian / 1000, 2)} ms | **${fmt(l.lagP99UsMedian / 1000, 2)} ms** | ${fmt(l.latencyP99MsMedian, 2)} ms | ${fmt(l.cpuUsPerAttemptMedian, 0)} | ${l.dropped} / ${l.errors} |`)
    }
    L.push('')
  }
  if (r.memory) {
    const cap = r.memory.find((m) => m.keyCacheCapacity !== undefined)?.keyCacheCapacity
    L.push(`**Harness memory per identity** (agent or sub-agent with its key, registration and current token; seeded population, 1 agent : ~1.6 sub-agents, built with the harness's own constructors from JSON-parsed responses; ΔRSS over a baseline after GC, median of ${r.settings.reps}; "after signing" = every identity signed 2 DPoP proofs in turn, as a run does${cap ? `; key cache ${fmt(cap)} KeyObjects, included` : ''}). 5 KB budget read as 5,000 B.`)
    L.push('')
    L.push('| representation | identities | RSS/identity provisioned | RSS/identity after signing | runs | JS heap/identity | proof CPU µs (keys in turn: cache misses) |')
    L.push('|---|---|---|---|---|---|---|')
    const name: Record<string, string> = {
      run: 'harness: ProvisionedIdentity (= RunIdentity) + compact key + key cache + principals',
      'key-only': 'one live private KeyObject per identity, nothing else',
    }
    for (const m of r.memory) {
      if (m.marginal) L.push(`| ${name[m.variant] ?? m.variant}: marginal (slope between sizes) | +${fmt(m.identities)} | – | **${kib(m.warmRss)}** | – | – | – |`)
      else L.push(`| ${name[m.variant] ?? m.variant} | ${fmt(m.identities)} | ${kib(m.coldRss)} | **${kib(m.warmRss)}** (${fmt(m.warmRss)} B) | ${(m.warmRssRuns ?? []).map((x) => kib(x)).join(' / ')} | ${kib(m.warmHeap)} | ${fmt(m.proofCpuUs, 0)} |`)
    }
    L.push('')
  }
  if (r.keyCache) {
    L.push(`**Key cache miss cost** (harness/protocol/identity-key.ts keeps a 32-byte scalar per identity and imports the signing KeyObject on a cache miss; CPU µs per op over 2,000 keys in turn, interleaved, median of ${r.settings.reps}).`)
    L.push('')
    L.push('| operation | CPU µs per op (median) | runs |')
    L.push('|---|---|---|')
    for (const k of r.keyCache.rows) L.push(`| ${k.label} | **${fmt(k.cpuUsMedian, 1)}** | ${k.cpuUsRuns.map((x) => fmt(x, 1)).join(' / ')} |`)
    const hit = r.keyCache.rows.find((k) => k.key === 'proofHit')
    const miss = r.keyCache.rows.find((k) => k.key === 'proofMiss')
    if (hit && miss) L.push(`\nA miss adds **${fmt(miss.cpuUsMedian - hit.cpuUsMedian, 1)} µs** to a proof. Populations up to the cache size only miss once per key; beyond it, with identities drawn uniformly, about (1 − cache ÷ identities) of the proofs miss.`)
    L.push('')
  }
  if (r.join) renderJoin(L, r.join)
  if (r.ingest) renderIngest(L, r.ingest)
  if (r.errors.length > 0) {
    L.push('**Errors**')
    L.push('')
    for (const x of r.errors) L.push(`- ${x}`)
    L.push('')
  }
  L.push('Reproduce: `npm ci && npm run bench` (Node 24 from node_modules; ~5 min; add `-- --quick` for a smoke run; `-- --floor` adds the KeyObject-only memory floor; `-- --help` for the rest). Results: `bench/results/latest.json`, `bench/results/latest.md`.')
  L.push('')
  return L.join('\n')
}

function renderJoin(L: string[], j: JoinSection): void {
  const g = j.gatecrash
  const e = j.expected
  L.push(`**Join and grade from the run store** (issue 14): ${fmt(j.n)} attempts (${fmt(e.legit)} legit, ${fmt(e.attacks)} attacks over ${e.cases} catalog cases) and ${fmt(j.n)} hash-chained records, written through RunStore's append paths (${fmt(j.setupMs / 1000, 0)} s, run.db ${fmt(j.storeMb)} MB); ${fmt(e.trace)} records carry the attempt's trace id, ${fmt(e.tokenWindow)} only its token hash (joined by token and time window). Timed: gradeStore on a never-graded copy (lookup indexes, both joins, the tamper and integrity checks, every verdict, metrics, gates, verdicts written back), each run in its own process; the floor: the same rows in a plain node:sqlite database, its two indexes built and one SQL statement counting matches. ${j.reps} repetitions, order alternated, medians.`)
  L.push('')
  L.push('| step | wall time (median) | runs | CPU | heapUsed after GC before → after | peak RSS |')
  L.push('|---|---|---|---|---|---|')
  L.push(`| gatecrash join + grade (gradeStore) | **${fmt(g.wallMsMedian / 1000, 2)} s** | ${g.wallMsRuns.map((x) => fmt(x / 1000, 2)).join(' / ')} s | ${fmt(g.cpuMsMedian / 1000, 2)} s | ${fmt(g.heapBeforeMbMedian, 1)} → ${fmt(g.heapAfterMbMedian, 1)} MB | ${fmt(g.peakRssMbMedian)} MB |`)
  L.push(`| floor: one SQL join, counting matches (indexes ${fmt(j.floor.indexMsMedian / 1000, 2)} s of it) | **${fmt(j.floor.wallMsMedian / 1000, 2)} s** | ${j.floor.wallMsRuns.map((x) => fmt(x / 1000, 2)).join(' / ')} s | – | – | ${fmt(j.floor.peakRssMbMedian)} MB |`)
  L.push(`| ratio | **${fmt(j.ratioMedian, 1)} ×** | ${j.ratioRuns.map((x) => fmt(x, 1)).join(' / ')} | | | |`)
  L.push('')
  L.push(`Intended and found: verdicts ${Object.entries(e.verdicts).map(([v, n]) => `${v} ${fmt(n)}`).join(', ')}${j.problems.length ? `; **differences**: ${j.problems.join('; ')}` : '; every repetition matched'}.`)
  L.push('')
}

function renderIngest(L: string[], rows: IngestRow[]): void {
  L.push('**Evidence ingest per source kind** (issue 14): records written to the backend on loopback, then read through the source (openEvidenceSource) from the start, as the final read does (otlp-logs: the SDK\'s export to the receiver, which maps each record as it acknowledges it, plus that read); and the live lag: records written at the default scenario\'s rate while the run\'s EvidenceTail polls, time read − time written per record.')
  L.push('')
  L.push('| source kind | read records/s (median) | runs | lag p50 | lag p95 | lag window |')
  L.push('|---|---|---|---|---|---|')
  for (const r of rows) {
    if (!r.available) {
      L.push(`| ${r.kind} | not available: ${r.why} | – | – | – | – |`)
      continue
    }
    const l = r.lag
    L.push(`| ${r.kind} | **${fmt(r.recordsPerSecMedian)}** (${fmt(r.records)} records) | ${r.recordsPerSecRuns.map((x) => fmt(x)).join(' / ')} | ${l ? `${fmt(l.p50Ms)} ms` : '–'} | ${l ? `**${fmt(l.p95Ms)} ms**` : '–'} | ${l ? `${fmt(l.rate)}/s for ${fmt(l.seconds)} s, polled every ${fmt(l.pollMs / 1000)} s; ${fmt(l.read)} of ${fmt(l.written)} read` : '–'} |`)
  }
  L.push('')
}
