/**
 * autocannon, run programmatically in its own process against the same trivial server with the
 * same number of connections: CPU µs per completed request of this process. A short warm-up run
 * first (JIT), then the measured run with CPU taken around it.
 */
import autocannon from 'autocannon'
import { childMain, cpuSinceUs } from '../lib/child.ts'

interface Params {
  origin: string
  connections: number
  warmMs: number
  measureMs: number
}

interface AutocannonResult {
  requests: { total: number }
  '2xx': number
  non2xx: number
  errors: number
}

function run(url: string, connections: number, seconds: number): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, pipelining: 1, duration: seconds }, (err: Error | null, result: AutocannonResult) => (err ? reject(err) : resolve(result)))
  })
}

await childMain<Params, unknown>(async (p) => {
  const url = `${p.origin}/t/t_1/tickets/T-00001`
  await run(url, p.connections, p.warmMs / 1000)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await run(url, p.connections, p.measureMs / 1000)
  const cpuUs = cpuSinceUs(cpu0)
  const elapsed = performance.now() - t0
  return { requests: r.requests.total, ok: r['2xx'], errors: r.errors, cpuUsPerRequest: cpuUs / r.requests.total, rps: (r.requests.total * 1000) / elapsed, cpuShare: cpuUs / 1000 / elapsed }
})
