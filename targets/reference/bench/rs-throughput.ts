/**
 * Measures how many valid DPoP tool calls per second rs-1 sustains end to end through its
 * round-robin front (closed loop, fresh proof per request, hand-built with node:crypto so that the
 * client is not the bottleneck; every call also goes through the shared replay store and is recorded
 * by the evidence sink), with the CPU each process spent per request, from /proc.
 *
 *   node_modules/.bin/node targets/reference/bench/rs-throughput.ts [seconds=5] [connections=32] [replicas=2] [rate=0]
 *
 * rate 0 is a closed loop (saturation: how many req/s at most); a rate > 0 is an open loop at that
 * many req/s, latency measured from each request's scheduled time (no coordinated omission).
 * BENCH_FLAWS=a,b starts the target with flaw switches (e.g. to compare replay-cache-per-replica).
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool, request } from 'undici'
import { referenceTarget } from '../adapter.ts'

const seconds = Number(process.argv[2] ?? 5)
const connections = Number(process.argv[3] ?? 32)
const replicas = Number(process.argv[4] ?? 2)
const rate = Number(process.argv[5] ?? 0)

function b64(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url')
}

function jws(key: KeyObject, header: object, payload: object): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
}

async function cpuTicks(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  return Number(fields[11]) + Number(fields[12]) // utime + stime, in clock ticks (100/s)
}

const now = (): number => Math.floor(Date.now() / 1000)
const idp = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const idpJwk = { ...idp.publicKey.export({ format: 'jwk' }), kid: 'idp-1', alg: 'ES256' }
const dataDir = await mkdtemp(join(tmpdir(), 'gatecrash-bench-'))
const iat = randomBytes(24).toString('base64url')
const flaws = process.env.BENCH_FLAWS ? process.env.BENCH_FLAWS.split(',') : []
const target = await referenceTarget.start({ trust: { issuer: 'https://idp.bench', jwks: { keys: [idpJwk] } }, dataDir, initialAccessToken: iat, replicas, flaws })
try {
  const rs = target.resources[0]
  const agent = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = agent.publicKey.export({ format: 'jwk' })
  const reg = await request(`${target.issuer}/register`, {
    method: 'POST',
    headers: { authorization: `Bearer ${iat}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] }, scope: 'tickets:read', tenant: 't_bench',
      grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
    }),
  })
  const clientId = ((await reg.body.json()) as { client_id: string }).client_id
  const tokenUrl = `${target.issuer}/token`
  // Tools act for a principal: the agent exchanges a user's assertion (a client_credentials token is refused).
  const assertion = jws(idp.privateKey, { alg: 'ES256', kid: 'idp-1' }, { iss: 'https://idp.bench', sub: 'user_bench', aud: target.issuer, tenant: 't_bench', scope: 'tickets:read', iat: now(), exp: now() + 300 })
  const tokenRes = await request(tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      dpop: jws(agent.privateKey, { typ: 'dpop+jwt', alg: 'ES256', jwk }, { jti: randomUUID(), htm: 'POST', htu: tokenUrl, iat: now() }),
    },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: assertion,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      resource: rs.audience,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jws(agent.privateKey, { alg: 'ES256' }, { iss: clientId, sub: clientId, aud: tokenUrl, jti: randomUUID(), iat: now(), exp: now() + 60 }),
    }).toString(),
  })
  const tokenBody = (await tokenRes.body.json()) as { access_token?: string }
  if (tokenBody.access_token === undefined) throw new Error(`token exchange failed: ${JSON.stringify(tokenBody)}`)
  const token = tokenBody.access_token
  const ath = createHash('sha256').update(token).digest('base64url')
  const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk })
  // `connections` connections to the front, which spreads them round-robin over the replicas
  const pool = new Pool(rs.origin, { connections })
  const latencies: number[] = []
  const call = async (i: number, scheduled = performance.now()): Promise<number> => {
    const path = `/t/t_bench/tickets/T-${i}`
    const input = `${header}.${b64({ jti: randomUUID(), htm: 'GET', htu: `${rs.origin}${path}`, iat: now(), ath })}`
    const proof = `${input}.${sign('sha256', Buffer.from(input), { key: agent.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
    const t0 = scheduled
    const res = await pool.request({ path, method: 'GET', headers: { authorization: `DPoP ${token}`, dpop: proof } })
    await res.body.dump()
    latencies.push(performance.now() - t0)
    return res.statusCode
  }
  const openLoop = async (ms: number): Promise<{ ok: number; other: number }> => {
    const t0 = performance.now()
    const n = Math.floor((ms / 1000) * rate)
    const results = await Promise.all(Array.from({ length: n }, async (_, i) => {
      const at = t0 + (i * 1000) / rate
      await new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())))
      return call(i, at)
    }))
    const ok = results.filter((s) => s === 200).length
    return { ok, other: n - ok }
  }
  const closedLoop = async (ms: number): Promise<{ ok: number; other: number }> => {
    const end = Date.now() + ms
    let ok = 0
    let other = 0
    let i = 0
    await Promise.all(Array.from({ length: connections }, async () => {
      while (Date.now() < end) (await call(i++)) === 200 ? ok++ : other++
    }))
    return { ok, other }
  }
  const run = rate > 0 ? openLoop : closedLoop
  await run(1_000) // warm-up: JIT, connections, caches
  latencies.length = 0
  const watched = target.components.filter((c) => c.name === 'rs-1/front' || /^rs-1\/\d+$/.test(c.name) || c.name === 'replay-store' || c.name === 'evidence-sink')
  const cpu0 = await Promise.all(watched.map((c) => cpuTicks(c.pid!)))
  const t0 = performance.now()
  const { ok, other } = await run(seconds * 1_000)
  const elapsed = (performance.now() - t0) / 1_000
  const cpu1 = await Promise.all(watched.map((c) => cpuTicks(c.pid!)))
  await pool.close()
  latencies.sort((a, b) => a - b)
  const pct = (p: number): number => Number(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(2))
  const total = ok + other
  const cpuUsPerReqRaw = Object.fromEntries(watched.map((c, i) => [c.name, (((cpu1[i] - cpu0[i]) / 100) / total) * 1e6]))
  const cpuUsPerReq = Object.fromEntries(Object.entries(cpuUsPerReqRaw).map(([k, v]) => [k, Math.round(v)]))
  console.log(JSON.stringify({
    mode: rate > 0 ? `open loop at ${rate} req/s` : 'closed loop', seconds: Number(elapsed.toFixed(2)), connections, replicas, ok, non_200: other,
    rps: Math.round(ok / elapsed),
    cpu_cores_busy: Number((Object.values(cpuUsPerReqRaw).reduce((a, b) => a + b, 0) * total / 1e6 / elapsed).toFixed(2)),
    latency_ms: { p50: pct(50), p95: pct(95), p99: pct(99) },
    cpu_us_per_req: cpuUsPerReq,
  }))
} finally {
  await target.stop()
  await rm(dataDir, { recursive: true, force: true })
}
