/**
 * One measurement of the join bench on a fresh copy of the setup child's databases:
 *   gatecrash: gradeStore (harness/run/grade-store.ts, what finalize.ts grades a run with) over the
 *              run store: its lookup indexes, the trace-id join, the token-and-window join of the
 *              untraced records, every verdict through the one grader (oracle/grade-stream.ts),
 *              the case table, metrics and gates, verdicts written back;
 *   floor:     the same rows in a plain database, the same two indexes' worth of lookups built,
 *              and one SQL statement counting the matches (trace id equal; for untraced records,
 *              token hash equal and ts within the window of the attempt).
 * Wall time and CPU of that step alone; heapUsed after a forced GC (--expose-gc) before and after
 * it, and the process's peak RSS. Then, untimed, what the step produced, for the parent to check
 * against what the generator intended.
 */
import { DatabaseSync } from 'node:sqlite'
import { DEFAULT_TOKEN_WINDOW_MS } from '../../harness/oracle/grade-stream.ts'
import { gradeStore } from '../../harness/run/grade-store.ts'
import { RunStore } from '../../harness/run/run-store.ts'
import { childMain } from '../lib/child.ts'
import { RATE } from '../lib/join-rows.ts'

interface Params {
  mode: 'gatecrash' | 'floor'
  file: string
  n: number
  lastEnd: number
  cases: string[]
}

export interface JoinResult {
  mode: Params['mode']
  wallMs: number
  cpuMs: number
  /** floor: of wallMs, building the indexes */
  indexMs?: number
  heapBeforeMb: number
  heapAfterMb: number
  rssBeforeMb: number
  peakRssMb: number
  /** floor: matched (record, attempt) pairs */
  matches?: number
  /** gatecrash: joins by kind, attempts joined, verdicts by kind, what the grader reported */
  joins?: { trace: number; tokenWindow: number; attemptsJoined: number }
  verdicts?: Record<string, number>
  graded?: { attempts: number; records: number; matched: number; tampered: number; late: number; chainsOk: boolean; gates: number }
}

declare const gc: () => void
const mb = (b: number) => b / 2 ** 20
function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc()
  return mb(process.memoryUsage().heapUsed)
}

await childMain<Params, JoinResult>(async (p) => {
  if (p.mode === 'floor') return floor(p)
  const store = RunStore.open(p.file)
  // as finalize.ts grades the run that wrote the store (setup's append paths wrote its record views)
  store.viewsTrusted = true
  try {
    const heapBeforeMb = heapAfterGc()
    const rssBeforeMb = mb(process.memoryUsage().rss)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const graded = gradeStore(store, { faults: [], settleDeadline: p.lastEnd + 5_000, chainStart: {}, integrity: 'chained', cases: p.cases, durationS: p.n / RATE })
    const wallMs = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const peakRssMb = mb(process.resourceUsage().maxRSS * 1024)
    const heapAfterMb = heapAfterGc()
    const joins = store.sql(`SELECT coalesce(sum(via = 'trace'), 0) AS trace, coalesce(sum(via = 'token-window'), 0) AS tokenWindow, count(DISTINCT seq) AS attemptsJoined FROM joins`).get() as JoinResult['joins']
    const verdicts = Object.fromEntries((store.sql('SELECT verdict, count(*) AS n FROM verdicts GROUP BY verdict').all() as { verdict: string; n: number }[]).map((r) => [r.verdict, r.n]))
    const e = graded.graded.evidence
    return {
      mode: p.mode,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      heapBeforeMb,
      heapAfterMb,
      rssBeforeMb,
      peakRssMb,
      joins,
      verdicts,
      graded: { attempts: graded.graded.attempts, records: e.records, matched: e.matched, tampered: e.tampered ?? 0, late: e.late ?? 0, chainsOk: e.chains.every((c) => c.ok), gates: graded.gates.length },
    }
  } finally {
    store.close()
  }
})

function floor(p: Params): JoinResult {
  const db = new DatabaseSync(p.file)
  try {
    db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;')
    const heapBeforeMb = heapAfterGc()
    const rssBeforeMb = mb(process.memoryUsage().rss)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    db.exec(`CREATE INDEX attempts_trace ON attempts(trace_id);
      CREATE INDEX attempts_token ON attempts(token_hash, started_at);`)
    const indexMs = performance.now() - t0
    const W = DEFAULT_TOKEN_WINDOW_MS
    const { matches } = db.prepare(`SELECT
        (SELECT count(*) FROM evidence e JOIN attempts a ON a.trace_id = e.trace_id WHERE e.trace_id IS NOT NULL)
      + (SELECT count(*) FROM evidence e JOIN attempts a ON a.token_hash = e.token_hash AND a.started_at <= e.ts + ${W} AND a.ended_at >= e.ts - ${W}
           WHERE e.trace_id IS NULL AND e.token_hash IS NOT NULL) AS matches`).get() as { matches: number }
    const wallMs = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const peakRssMb = mb(process.resourceUsage().maxRSS * 1024)
    return { mode: 'floor', wallMs, cpuMs: (cpu.user + cpu.system) / 1000, indexMs, heapBeforeMb, heapAfterMb: heapAfterGc(), rssBeforeMb, peakRssMb, matches }
  } finally {
    db.close()
  }
}
