/**
 * `npm run bench`: the harness's cost and accuracy, side by side in one run (docs/platform.md: this is a
 * shared, noisy 2-core machine; compare CPU per op within one run, medians over ≥ 3 repetitions).
 *
 *   1. client CPU µs per request, saturated closed loop, same trivial loopback server, interleaved
 *      repetitions: gatecrash attempt (batched fresh DPoP proof + HTTP/1.1 pool + AttemptRecord),
 *      the same with each proof signed inline (what batching saves), through undici
 *      Pool.dispatch (what the pool saves) and over TLS to the same server (what https costs), vs
 *      autocannon vs a bare undici GET, and the bare ES256 sign cost;
 *   2. the top rate on the trivial server (open model, achieved within 1 % of target), then
 *      accuracy (achieved/target, scheduling lag p99) at 50 % and 90 % of it;
 *   3. the same against the reference target (provisioned population, real DPoP-bound tokens);
 *   4. harness RSS per identity at 10k and 100k identities (the harness's own identity objects,
 *      compact keys + the bounded KeyObject cache), and what a key-cache miss costs per signature;
 *   5. join: 1,000,000 attempts joined and graded against 1,000,000 records from the run store
 *      (gradeStore), beside one SQL statement over the same rows (the floor), with heap and RSS;
 *   6. ingest: per evidence source kind, read records/s and the live tail's lag at 200 records/s
 *      (bench/lib/store-sections.ts).
 *
 * Every measurement is its own child process; the trivial server is one more (two with the CPU
 * section: the same server over https, its certificate made with openssl for the run). Loopback only; every
 * loop is bounded by time. Writes bench/results/latest.json and latest.md and prints the table.
 *
 *   npm run bench                       full run (~9 min)
 *   npm run bench -- --quick            shorter windows and 10k/20k identities (smoke, ~1.5 min)
 *   npm run bench -- --floor            also the KeyObject-only memory floor at 100k (+~40 s)
 *   npm run bench -- --reps 5 --skip-reference --skip-memory
 *   npm run bench -- --cpu-reps 7       the CPU section's repetitions (default 5, or --reps if larger)
 *   npm run bench -- --only memory      just section 4 (~4 min); merged into latest.json, the other
 *                                       sections kept from the last run that measured them
 *   npm run bench -- --only join        just section 5 (~4 min; --join-n 200000 for a smaller run)
 *   npm run bench -- --only ingest      just section 6 (~1 min for the kinds that can run here)
 */
import { fork, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { median, runChild } from './lib/child.ts'
import { makeTestCerts, type TestCerts } from '../test/helpers/tls-certs.ts'
import type { ProbeResult, SearchOptions, SearchResult } from './lib/open-model.ts'
import { ingestSection, joinSection } from './lib/store-sections.ts'
import { renderMarkdown, type BenchResults, type CpuRow, type KeyCacheSection, type MemoryRow, type OpenModelBlock } from './lib/report.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const OUT_DIR = path.join(ROOT, 'bench', 'results')

interface Flags {
  reps: number
  /** repetitions of the CPU section: its 3 s windows swing ±30 % on these shared machines, so it takes more */
  cpuReps: number | null
  quick: boolean
  skipReference: boolean
  skipMemory: boolean
  floor: boolean
  /** run only these sections (the rest are kept from bench/results/latest.json) */
  only: Set<Section> | null
  /** attempts (and records) of the join section */
  joinN: number | null
}

type Section = 'cpu' | 'trivial' | 'reference' | 'memory' | 'join' | 'ingest'
const SECTIONS: Section[] = ['cpu', 'trivial', 'reference', 'memory', 'join', 'ingest']

function parseFlags(argv: string[]): Flags {
  const f: Flags = { reps: 3, cpuReps: null, quick: false, skipReference: false, skipMemory: false, floor: false, only: null, joinN: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--reps') f.reps = Math.max(1, Math.min(20, Number(argv[++i]) || 3))
    else if (a === '--cpu-reps') f.cpuReps = Math.max(1, Math.min(20, Number(argv[++i]) || 5))
    else if (a === '--quick') f.quick = true
    else if (a === '--skip-reference') f.skipReference = true
    else if (a === '--skip-memory') f.skipMemory = true
    else if (a === '--floor') f.floor = true
    else if (a === '--join-n') f.joinN = Math.max(1000, Math.min(5_000_000, Number(argv[++i]) || 1_000_000))
    else if (a === '--only') {
      const list = (argv[++i] ?? '').split(',') as Section[]
      for (const x of list) if (!SECTIONS.includes(x)) throw new Error(`--only takes ${SECTIONS.join(',')}; got ${x}`)
      f.only = new Set(list)
    } else if (a === '--help' || a === '-h') {
      console.log(`npm run bench -- [--reps N] [--cpu-reps N] [--quick] [--skip-reference] [--skip-memory] [--floor] [--join-n N] [--only ${SECTIONS.join('|')}[,…]]`)
      process.exit(0)
    } else throw new Error(`unknown flag ${a}`)
  }
  return f
}

const flags = parseFlags(process.argv.slice(2))
const Q = flags.quick
const CPU_REPS = flags.cpuReps ?? (Q ? flags.reps : Math.max(flags.reps, 5))
const CONNECTIONS = 50
const CPU_WARM_MS = Q ? 500 : 1000
const CPU_MEASURE_MS = Q ? 1500 : 3000
const SIGN_MS = Q ? 600 : 1000
const CLIENT_IDENTITIES = 1000
const MAX_VUS = 256
const TOLERANCE = 0.01
const FRACTIONS = [0.5, 0.9]
const ACCURACY_MS = Q ? 1500 : 3000
const ACCURACY_WARM_MS = Q ? 500 : 1000
const MEMORY_SIZES = Q ? [10_000, 20_000] : [10_000, 100_000]
const JOIN_N = flags.joinN ?? (Q ? 200_000 : 1_000_000)
/** the join section's repetitions: a million-row join takes ~30 s, so --quick takes one */
const JOIN_REPS = Q ? 1 : flags.reps
/** ingest: records per throughput read; the default scenario's rate (scenarios/sandbox-validation.ts) for the lag window */
const INGEST_N = Q ? 20_000 : 100_000
const INGEST_RATE = 200
const INGEST_LAG_MS = Q ? 5_000 : 15_000

const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`)
const started = Date.now()

// ---------- the trivial server ----------

interface Server {
  origin: string
  child: ChildProcess
  stats(): Promise<{ cpuUs: number; served: number }>
  stop(): Promise<void>
}

/** `tls`: the same server over node:https with this key and certificate */
function startServer(tls?: { key: string; cert: string }): Promise<Server> {
  const child = fork(path.join(ROOT, 'bench/children/server.ts'), tls ? [JSON.stringify({ tls })] : [], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('trivial server did not start in 10 s')), 10_000)
    child.once('error', reject)
    child.once('message', (m: { type: string; origin: string }) => {
      clearTimeout(timer)
      resolve({
        origin: m.origin,
        child,
        stats: () =>
          new Promise((res) => {
            child.once('message', (s: { cpuUs: number; served: number }) => res(s))
            child.send({ type: 'stats' })
          }),
        stop: async () => {
          child.send({ type: 'stop' })
          const t = setTimeout(() => child.kill('SIGKILL'), 3000)
          await exited
          clearTimeout(t)
        },
      })
    })
  })
}

// ---------- 1. client CPU per request ----------

interface ClientResult {
  requests: number
  ok: number
  cpuUsPerRequest: number
  rps: number
  cpuShare: number
}
interface Timed {
  cpuUsPerOp: number
  opsPerSec: number
}
interface SignResult {
  es256Options: Timed
  es256Bare: Timed
  proof: Timed
}

export interface CpuSection {
  rows: CpuRow[]
  /** per repetition: gatecrash ÷ (autocannon + bare ES256 sign) */
  ratios: number[]
}

async function cpuSection(server: Server, https: { server: Server; caFile: string }): Promise<CpuSection> {
  const runs: Record<string, { cpu: number[]; rate: number[]; serverUs: number[]; share: number[]; failures: number }> = {}
  const add = (name: string, cpu: number, rate: number, serverUs: number, failures = 0, share = Number.NaN) => {
    const r = (runs[name] ??= { cpu: [], rate: [], serverUs: [], share: [], failures: 0 })
    r.share.push(share)
    r.cpu.push(cpu)
    r.rate.push(rate)
    r.serverUs.push(serverUs)
    r.failures += failures
  }
  const out: CpuSection = { rows: [], ratios: [] }
  const clientParams = { origin: server.origin, connections: CONNECTIONS, warmMs: CPU_WARM_MS, measureMs: CPU_MEASURE_MS, identities: CLIENT_IDENTITIES }
  const timeoutMs = CPU_WARM_MS + CPU_MEASURE_MS + 30_000
  for (let rep = 0; rep < CPU_REPS; rep++) {
    // The acceptance ratio's three parts run back to back (~12 s), so each repetition's ratio compares
    // measurements seconds apart, not up to half a minute apart across the informational rows;
    // both groups rotate each repetition so no client always runs first (or last) in a noisy minute.
    const rotated = (xs: string[]) => xs.slice(rep % xs.length).concat(xs.slice(0, rep % xs.length))
    const order = [...rotated(['gatecrash', 'autocannon', 'sign']), ...rotated(['gatecrash-miss', 'gatecrash-inline', 'gatecrash-undici', 'gatecrash-https', 'undici'])]
    const perRep: Record<string, number> = {}
    for (const what of order) {
      if (what === 'sign') {
        const s = await runChild<SignResult>('sign', { ms: SIGN_MS }, { timeoutMs: SIGN_MS * 4 + 20_000 })
        add('signOptions', s.es256Options.cpuUsPerOp, s.es256Options.opsPerSec, Number.NaN)
        add('signBare', s.es256Bare.cpuUsPerOp, s.es256Bare.opsPerSec, Number.NaN)
        add('proof', s.proof.cpuUsPerOp, s.proof.opsPerSec, Number.NaN)
        perRep.signBare = s.es256Bare.cpuUsPerOp
        log(`rep ${rep + 1}: ES256 sign ${s.es256Bare.cpuUsPerOp.toFixed(1)} µs bare, ${s.es256Options.cpuUsPerOp.toFixed(1)} µs with options; DPoP proof ${s.proof.cpuUsPerOp.toFixed(1)} µs`)
        continue
      }
      // the https row runs against the same server's TLS twin, whose CPU is read for its row
      const target = what === 'gatecrash-https' ? https.server : server
      const before = await target.stats()
      const r =
        what === 'autocannon'
          ? await runChild<ClientResult>('autocannon', clientParams, { timeoutMs })
          : await runChild<ClientResult>('client', { ...clientParams, mode: what, ...(what === 'gatecrash-https' ? { origin: https.server.origin, caFile: https.caFile } : {}) }, { timeoutMs })
      const after = await target.stats()
      const serverUs = (after.cpuUs - before.cpuUs) / Math.max(1, after.served - before.served)
      add(what, r.cpuUsPerRequest, r.rps, serverUs, r.requests - r.ok, r.cpuShare)
      perRep[what] = r.cpuUsPerRequest
      log(`rep ${rep + 1}: ${what} ${r.cpuUsPerRequest.toFixed(1)} µs/req at ${Math.round(r.rps)} req/s (client ${Math.round(r.cpuShare * 100)} % of a core; server ${serverUs.toFixed(1)} µs/req)`)
    }
    out.ratios.push(perRep.gatecrash / (perRep.autocannon + perRep.signBare))
  }
  const row = (key: string, label: string, unit: 'req' | 'op'): CpuRow => ({
    key,
    label,
    unit,
    cpuUsMedian: median(runs[key].cpu),
    cpuUsRuns: runs[key].cpu,
    rateMedian: median(runs[key].rate),
    serverUsMedian: median(runs[key].serverUs),
    coreShareMedian: median(runs[key].share),
    failures: runs[key].failures,
  })
  out.rows = [
    row('gatecrash', 'gatecrash attempt today: fresh DPoP proof (signed in a batch per event-loop turn) + keep-alive HTTP/1.1 pool + AttemptRecord (sendAttempt); 1,000 identities, all keys in the key cache', 'req'),
    row('gatecrash-miss', 'the same, every key re-imported (key cache smaller than the rotation: a population far above the cache size, e.g. 100k)', 'req'),
    row('gatecrash-inline', 'the same, each proof signed inline as its attempt starts (createDpopProof, no batching; what batching saves)', 'req'),
    row('gatecrash-undici', 'the same attempt through undici Pool.dispatch (the previous client, bench/lib/undici-dispatch.ts; what the HTTP/1.1 pool saves)', 'req'),
    row('gatecrash-https', 'the same attempt over TLS to the same server (node:https, P-256 certificate from a test CA; HttpPools with tls.ca; kept-alive connections, so mostly record encryption: what https costs)', 'req'),
    row('autocannon', 'autocannon (same server, same connections)', 'req'),
    row('undici', 'bare undici Pool GET, no credentials (same server, same connections)', 'req'),
    row('signBare', 'bare ES256 sign: crypto.sign(sha256, input, keyObject) + DER → r‖s', 'op'),
    row('signOptions', "ES256 sign with the dsaEncoding option: crypto.sign(…, { key, dsaEncoding: 'ieee-p1363' }) (what jws.ts did before; Node 24 throws and catches two native errors per call)", 'op'),
    row('proof', 'whole DPoP proof today (createDpopProof)', 'op'),
  ]
  return out
}

// ---------- 2./3. open model ----------

function searchOptions(kind: 'trivial' | 'reference'): SearchOptions {
  return kind === 'trivial'
    ? { startRate: 1000, maxRate: 20_000, minRate: 100, step: 50, precision: 0.05, maxProbes: Q ? 8 : 14, budgetMs: Q ? 20_000 : 45_000, durationMs: Q ? 1200 : 2000, warmMs: 500, maxVUs: MAX_VUS, tolerance: TOLERANCE }
    : { startRate: 100, maxRate: 5000, minRate: 20, step: 10, precision: 0.05, maxProbes: Q ? 7 : 12, budgetMs: Q ? 20_000 : 40_000, durationMs: Q ? 1200 : 2000, warmMs: 500, maxVUs: MAX_VUS, tolerance: TOLERANCE }
}

function block(target: string, search: SearchResult, levels: { fraction: number; rate: number; runs: ProbeResult[] }[], note?: string): OpenModelBlock {
  return {
    target,
    topRate: search.topRate,
    firstFailRate: search.firstFailRate,
    probes: search.probes.map((p) => ({ rate: p.targetRate, accuracy: p.accuracy, lagP99Us: p.lagP99Us, dropped: p.dropped, pass: p.pass })),
    levels: levels.map((l) => ({
      fraction: l.fraction,
      rate: l.rate,
      accuracyMedian: median(l.runs.map((r) => r.accuracy)),
      accuracyRuns: l.runs.map((r) => r.accuracy),
      achievedMedian: median(l.runs.map((r) => r.achievedRate)),
      lagP50UsMedian: median(l.runs.map((r) => r.lagP50Us)),
      lagP99UsMedian: median(l.runs.map((r) => r.lagP99Us)),
      latencyP99MsMedian: median(l.runs.map((r) => r.latencyP99Ms)),
      cpuUsPerAttemptMedian: median(l.runs.map((r) => r.cpuUsPerAttempt)),
      dropped: l.runs.reduce((s, r) => s + r.dropped, 0),
      errors: l.runs.reduce((s, r) => s + r.non200 + r.transportErrors, 0),
    })),
    note,
  }
}

async function trivialOpenModel(server: Server): Promise<OpenModelBlock> {
  const opts = searchOptions('trivial')
  const search = await runChild<SearchResult>('open-model', { mode: 'search', origin: server.origin, identities: CLIENT_IDENTITIES, ...opts }, { timeoutMs: opts.budgetMs + 60_000 })
  log(`trivial server: top rate ${search.topRate}/s (first fail ${search.firstFailRate ?? '–'}) after ${search.probes.length} probes: ${search.probes.map((p) => `${p.targetRate}${p.pass ? '✓' : '✗'}`).join(' ')}`)
  const levels: { fraction: number; rate: number; runs: ProbeResult[] }[] = []
  for (const fraction of FRACTIONS) levels.push({ fraction, rate: Math.max(1, Math.round(search.topRate * fraction)), runs: [] })
  // Interleave the levels across repetitions, one child per run.
  for (let rep = 0; rep < flags.reps; rep++) {
    for (const l of levels) {
      const r = await runChild<ProbeResult>('open-model', { mode: 'accuracy', origin: server.origin, identities: CLIENT_IDENTITIES, rate: l.rate, durationMs: ACCURACY_MS, warmMs: ACCURACY_WARM_MS, maxVUs: MAX_VUS, tolerance: TOLERANCE }, { timeoutMs: ACCURACY_MS + ACCURACY_WARM_MS + 40_000 })
      l.runs.push(r)
      log(`trivial server at ${Math.round(l.fraction * 100)} % (${l.rate}/s): achieved ${(r.accuracy * 100).toFixed(2)} %, lag p99 ${(r.lagP99Us / 1000).toFixed(2)} ms, ${r.cpuUsPerAttempt.toFixed(0)} µs CPU/attempt`)
    }
  }
  return block('trivial loopback server', search, levels)
}

interface ReferenceResult {
  setupMs: number
  identities: number
  tokenChars: number
  components: string[]
  search: SearchResult
  accuracy: { fraction: number; rate: number; runs: ProbeResult[] }[]
}

async function referenceOpenModel(): Promise<OpenModelBlock> {
  const opts = searchOptions('reference')
  const r = await runChild<ReferenceResult>('reference', { agents: 16, search: opts, fractions: FRACTIONS, reps: flags.reps, accuracyMs: ACCURACY_MS, accuracyWarmMs: ACCURACY_WARM_MS }, { timeoutMs: opts.budgetMs + 180_000 })
  log(`reference target (${r.components.join(', ')}; ${r.identities} identities provisioned in ${r.setupMs} ms, tokens ${r.tokenChars} chars): top rate ${r.search.topRate}/s`)
  return block('reference target', r.search, r.accuracy, `${r.identities} provisioned agents, real DPoP-bound tokens (${r.tokenChars} chars), components: ${r.components.join(', ')}`)
}

// ---------- 4. memory ----------

interface MemoryResult {
  variant: string
  requested: number
  identities: number
  buildMs: number
  proofCpuUs: number
  keyCache?: { capacity: number; misses: number; imports: number; direct: number }
  cold: { rssPerIdentity: number; heapPerIdentity: number }
  warm: { rssPerIdentity: number; heapPerIdentity: number }
}

interface KeyImportResult {
  cpuUsPerOp: Record<'proofHit' | 'proofMiss' | 'importRaw' | 'importJwk' | 'importPkcs8', number>
}

const MEMORY_VARIANTS = ['run']

async function memorySection(): Promise<{ rows: MemoryRow[]; keyCache: KeyCacheSection }> {
  const jobs: { n: number; variant: string }[] = []
  for (const n of MEMORY_SIZES) for (const variant of MEMORY_VARIANTS) jobs.push({ n, variant })
  if (flags.floor) jobs.push({ n: MEMORY_SIZES[MEMORY_SIZES.length - 1], variant: 'key-only' })
  const runs = new Map<string, MemoryResult[]>()
  const keyImports: KeyImportResult[] = []
  // RSS does not depend on CPU contention, so the jobs of one size run side by side (last in the
  // bench: they would disturb the CPU measurements). Repeated, medians.
  for (let rep = 0; rep < flags.reps; rep++) {
    for (const n of MEMORY_SIZES) {
      const batch = jobs.filter((j) => j.n === n)
      const results = await Promise.all(batch.map((j) => runChild<MemoryResult>('memory', { ...j, passes: 2 }, { execArgv: ['--expose-gc'], timeoutMs: 600_000 })))
      for (const m of results) {
        const k = `${m.variant}@${m.requested}`
        runs.set(k, [...(runs.get(k) ?? []), m])
        log(`rep ${rep + 1}: memory ${m.variant} × ${m.identities}: ${(m.cold.rssPerIdentity / 1024).toFixed(2)} KiB cold, ${(m.warm.rssPerIdentity / 1024).toFixed(2)} KiB after signing (heap ${(m.warm.heapPerIdentity / 1024).toFixed(2)} KiB); ${m.proofCpuUs.toFixed(0)} µs/proof, ${m.keyCache ? `key cache: ${m.keyCache.misses} misses, ${m.keyCache.imports} KeyObjects imported, ${m.keyCache.direct} signed from the JWK` : ''} in ${(m.buildMs / 1000).toFixed(1)} s`)
      }
    }
    // Alone, so nothing else competes for the CPU while it is timed.
    const ki = await runChild<KeyImportResult>('key-import', { keys: 2000, ms: Q ? 1000 : 2000 }, { timeoutMs: 120_000 })
    keyImports.push(ki)
    log(`rep ${rep + 1}: key cache: proof ${ki.cpuUsPerOp.proofHit.toFixed(1)} µs on a hit, ${ki.cpuUsPerOp.proofMiss.toFixed(1)} µs on a miss; import + first sign: raw ${ki.cpuUsPerOp.importRaw.toFixed(1)}, jwk ${ki.cpuUsPerOp.importJwk.toFixed(1)}, pkcs8 ${ki.cpuUsPerOp.importPkcs8.toFixed(1)} µs`)
  }
  const out: MemoryRow[] = []
  for (const [, list] of runs) {
    const m = list[0]
    out.push({
      variant: m.variant,
      requested: m.requested,
      identities: m.identities,
      coldRss: median(list.map((x) => x.cold.rssPerIdentity)),
      warmRss: median(list.map((x) => x.warm.rssPerIdentity)),
      warmRssRuns: list.map((x) => x.warm.rssPerIdentity),
      warmHeap: median(list.map((x) => x.warm.heapPerIdentity)),
      proofCpuUs: median(list.map((x) => x.proofCpuUs)),
      keyCacheCapacity: m.keyCache?.capacity,
    })
  }
  // Per-identity cost net of fixed overheads (young generation, code, the key cache…): the slope between sizes.
  for (const variant of MEMORY_VARIANTS) {
    const [a, b] = MEMORY_SIZES.map((n) => out.find((r) => r.variant === variant && r.requested === n))
    if (a && b) {
      const slope = (b.warmRss * b.identities - a.warmRss * a.identities) / (b.identities - a.identities)
      out.push({ variant, requested: -1, identities: b.identities - a.identities, coldRss: Number.NaN, warmRss: slope, warmHeap: Number.NaN, proofCpuUs: Number.NaN, marginal: true })
    }
  }
  const keyRow = (key: keyof KeyImportResult['cpuUsPerOp'], label: string) => ({ key, label, cpuUsMedian: median(keyImports.map((k) => k.cpuUsPerOp[key])), cpuUsRuns: keyImports.map((k) => k.cpuUsPerOp[key]) })
  const keyCache: KeyCacheSection = {
    capacity: out.find((r) => r.keyCacheCapacity !== undefined)?.keyCacheCapacity ?? Number.NaN,
    rows: [
      keyRow('proofHit', 'whole DPoP proof, key in the cache (createDpopProof)'),
      keyRow('proofMiss', 'whole DPoP proof, key not cached and the cache full: signed straight from its private JWK (what the harness does on such a miss)'),
      keyRow('importJwk', 'createPrivateKey from a private JWK + first sign (the form identity-key.ts imports while the cache has room)'),
      keyRow('importRaw', "createPrivateKey from the 32-byte scalar ('raw-private') + first sign"),
      keyRow('importPkcs8', 'createPrivateKey from PKCS#8 DER (138 B) + first sign'),
    ],
  }
  return { rows: out, keyCache }
}

// ---------- main ----------

function environment(): BenchResults['environment'] {
  let commit = 'unknown'
  let dirty = false
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
    // the bench's own outputs (results and the two README tables) do not make the measured code dirty
    dirty = execFileSync('git', ['status', '--porcelain', '--', '.', ':!bench/results', ':!README.md', ':!bench/README.md'], { cwd: ROOT, encoding: 'utf8' }).trim() !== ''
  } catch {
    // not a git checkout
  }
  return { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', loadavgStart: os.loadavg().map((x) => Number(x.toFixed(2))), commit, dirty, date: new Date().toISOString() }
}

const runs = (section: Section): boolean => flags.only === null || flags.only.has(section)

async function main(): Promise<void> {
  const env = environment()
  log(`node ${env.node}, ${env.cpus} CPUs, load ${env.loadavgStart.join(' ')}; ${flags.reps} repetitions${Q ? ', quick' : ''}${flags.only ? `; only ${[...flags.only].join(', ')}` : ''}`)
  const results: BenchResults = { environment: env, settings: { connections: CONNECTIONS, reps: flags.reps, cpuReps: CPU_REPS, cpuWarmMs: CPU_WARM_MS, cpuMeasureMs: CPU_MEASURE_MS, clientIdentities: CLIENT_IDENTITIES, maxVUs: MAX_VUS, tolerance: TOLERANCE, accuracyMs: ACCURACY_MS, quick: Q, joinN: JOIN_N, joinReps: JOIN_REPS }, cpu: null, openModel: [], memory: null, errors: [], elapsedS: 0 }
  if (runs('cpu') || runs('trivial')) {
    const server = await startServer()
    log(`trivial server at ${server.origin}`)
    try {
      if (runs('cpu')) {
        let certs: TestCerts | undefined
        let httpsServer: Server | undefined
        try {
          certs = makeTestCerts()
          httpsServer = await startServer({ key: certs.serverKey, cert: certs.serverCert })
          log(`trivial https server at ${httpsServer.origin}`)
          const cpu = await cpuSection(server, { server: httpsServer, caFile: certs.caFile })
          results.cpu = { rows: cpu.rows, ratioRuns: cpu.ratios, ratioMedian: median(cpu.ratios) }
        } catch (e) {
          results.errors.push(`cpu: ${(e as Error).message}`)
        } finally {
          await httpsServer?.stop()
          certs?.remove()
        }
      }
      if (runs('trivial')) {
        try {
          results.openModel.push(await trivialOpenModel(server))
        } catch (e) {
          results.errors.push(`open model (trivial): ${(e as Error).message}`)
        }
      }
    } finally {
      await server.stop()
    }
  }
  if (!flags.skipReference && runs('reference')) {
    try {
      results.openModel.push(await referenceOpenModel())
    } catch (e) {
      // The reference target may be mid-change; the rest of the bench still stands.
      results.errors.push(`open model (reference): ${(e as Error).message.split('\n')[0]}`)
      log(`reference target failed: ${(e as Error).message}`)
    }
  }
  if (!flags.skipMemory && runs('memory')) {
    try {
      const m = await memorySection()
      results.memory = m.rows
      results.keyCache = m.keyCache
    } catch (e) {
      results.errors.push(`memory: ${(e as Error).message.split('\n')[0]}`)
    }
  }
  // Last: the join writes ~3.5 GB to the temporary folder and would disturb the CPU measurements.
  if (runs('join')) {
    try {
      results.join = await joinSection({ n: JOIN_N, reps: JOIN_REPS, log })
      if (results.join.problems.length > 0) results.errors.push(`join: ${results.join.problems.slice(0, 3).join('; ')}`)
    } catch (e) {
      results.errors.push(`join: ${(e as Error).message.split('\n')[0]}`)
    }
  }
  if (runs('ingest')) {
    try {
      results.ingest = await ingestSection({ n: INGEST_N, rate: INGEST_RATE, durationMs: INGEST_LAG_MS, reps: JOIN_REPS, log })
    } catch (e) {
      results.errors.push(`ingest: ${(e as Error).message.split('\n')[0]}`)
    }
  }
  results.environment.loadavgEnd = os.loadavg().map((x) => Number(x.toFixed(2)))
  results.elapsedS = Math.round((Date.now() - started) / 1000)
  if (flags.only) await mergeWithPrevious(results, flags.only)
  const md = renderMarkdown(results)
  await mkdir(OUT_DIR, { recursive: true })
  await writeFile(path.join(OUT_DIR, 'latest.json'), JSON.stringify(results, null, 2) + '\n')
  await writeFile(path.join(OUT_DIR, 'latest.md'), md)
  await updateReadme(md)
  console.log(md)
  log(`done in ${results.elapsedS} s; wrote bench/results/latest.json and latest.md`)
  if (results.errors.length > 0) process.exitCode = 1
}

/**
 * `--only`: the sections not run now come from the previous latest.json, each labelled with the run
 * that measured it (`results.previous`), so the table never passes old figures off as new.
 */
async function mergeWithPrevious(results: BenchResults, only: Set<Section>): Promise<void> {
  const text = await readFile(path.join(OUT_DIR, 'latest.json'), 'utf8').catch(() => null)
  if (text === null) return
  const prev = JSON.parse(text) as BenchResults
  const previous: NonNullable<BenchResults['previous']> = []
  const keep = (label: string) => {
    const origin = prev.previous?.find((p) => p.sections.includes(label)) ?? { date: prev.environment.date, commit: prev.environment.commit, dirty: prev.environment.dirty }
    let entry = previous.find((p) => p.date === origin.date)
    if (!entry) previous.push((entry = { date: origin.date, commit: origin.commit, dirty: origin.dirty, sections: [] }))
    entry.sections.push(label)
  }
  if (!only.has('cpu') && prev.cpu) {
    results.cpu = prev.cpu
    keep('client CPU')
  }
  for (const b of prev.openModel) {
    const section: Section = b.target.startsWith('trivial') ? 'trivial' : 'reference'
    if (!only.has(section)) {
      results.openModel.push(b)
      keep(`open model (${b.target})`)
    }
  }
  if (!only.has('memory') && prev.memory) {
    results.memory = prev.memory
    results.keyCache = prev.keyCache
    keep('memory')
  }
  if (!only.has('join') && prev.join) {
    results.join = prev.join
    keep('join')
  }
  if (!only.has('ingest') && prev.ingest) {
    results.ingest = prev.ingest
    keep('ingest')
  }
  if (previous.length > 0) results.previous = previous
}

/**
 * Replaces the section between the bench markers in bench/README.md, and in the project README
 * when it has the markers too.
 */
async function updateReadme(md: string): Promise<void> {
  const begin = '<!-- bench:begin -->'
  const end = '<!-- bench:end -->'
  for (const file of [path.join(ROOT, 'bench', 'README.md'), path.join(ROOT, 'README.md')]) {
    const text = await readFile(file, 'utf8').catch(() => null)
    if (text === null) continue
    const a = text.indexOf(begin)
    const b = text.indexOf(end)
    if (a === -1 || b < a) continue
    await writeFile(file, `${text.slice(0, a + begin.length)}\n${md.trim()}\n${text.slice(b)}`)
    log(`${path.relative(ROOT, file)}: bench section updated`)
  }
}

await main()
