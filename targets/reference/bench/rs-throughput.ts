/**
 * Measures how many valid DPoP tool calls per second the reference resource server sustains
 * (closed loop, fresh proof per request, hand-built with node:crypto so that the client is not the
 * bottleneck), and the resource server's CPU per request from /proc.
 *
 *   node_modules/.bin/node targets/reference/bench/rs-throughput.ts [seconds=5] [connections=32]
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool, request } from 'undici'
import { referenceTarget } from '../adapter.ts'

const seconds = Number(process.argv[2] ?? 5)
const connections = Number(process.argv[3] ?? 32)

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

const idp = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const idpJwk = { ...idp.publicKey.export({ format: 'jwk' }), kid: 'idp-1', alg: 'ES256' }
const dataDir = await mkdtemp(join(tmpdir(), 'gatecrash-bench-'))
const iat = randomBytes(24).toString('base64url')
const target = await referenceTarget.start({ trust: { issuer: 'https://idp.bench', jwks: { keys: [idpJwk] } }, dataDir, initialAccessToken: iat })
try {
  const rs = target.resources[0]
  const agent = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = agent.publicKey.export({ format: 'jwk' })
  const reg = await request(`${target.issuer}/register`, {
    method: 'POST',
    headers: { authorization: `Bearer ${iat}`, 'content-type': 'application/json' },
    body: JSON.stringify({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] }, grant_types: ['client_credentials'], scope: 'tickets:read', tenant: 't_bench' }),
  })
  const clientId = ((await reg.body.json()) as { client_id: string }).client_id
  const now = (): number => Math.floor(Date.now() / 1000)
  const tokenUrl = `${target.issuer}/token`
  const tokenRes = await request(tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      dpop: jws(agent.privateKey, { typ: 'dpop+jwt', alg: 'ES256', jwk }, { jti: randomUUID(), htm: 'POST', htu: tokenUrl, iat: now() }),
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      resource: rs.audience,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jws(agent.privateKey, { alg: 'ES256' }, { iss: clientId, sub: clientId, aud: tokenUrl, jti: randomUUID(), iat: now(), exp: now() + 60 }),
    }).toString(),
  })
  const token = ((await tokenRes.body.json()) as { access_token: string }).access_token
  const ath = createHash('sha256').update(token).digest('base64url')
  const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk })
  const pool = new Pool(rs.origin, { connections })
  const call = async (i: number): Promise<number> => {
    const path = `/t/t_bench/tickets/T-${i}`
    const input = `${header}.${b64({ jti: randomUUID(), htm: 'GET', htu: `${rs.origin}${path}`, iat: now(), ath })}`
    const proof = `${input}.${sign('sha256', Buffer.from(input), { key: agent.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
    const res = await pool.request({ path, method: 'GET', headers: { authorization: `DPoP ${token}`, dpop: proof } })
    await res.body.dump()
    return res.statusCode
  }
  const run = async (ms: number): Promise<{ ok: number; other: number }> => {
    const end = Date.now() + ms
    let ok = 0
    let other = 0
    let i = 0
    await Promise.all(Array.from({ length: connections }, async () => {
      while (Date.now() < end) (await call(i++)) === 200 ? ok++ : other++
    }))
    return { ok, other }
  }
  await run(1_000) // warm-up: JIT, connections, caches
  const rsPid = target.components.find((c) => c.name === 'rs-1')!.pid!
  const cpu0 = await cpuTicks(rsPid)
  const t0 = performance.now()
  const { ok, other } = await run(seconds * 1_000)
  const elapsed = (performance.now() - t0) / 1_000
  const cpuS = ((await cpuTicks(rsPid)) - cpu0) / 100
  await pool.close()
  console.log(JSON.stringify({
    seconds: Number(elapsed.toFixed(2)), connections, ok, non_200: other,
    rps: Math.round(ok / elapsed),
    rs_cpu_s: cpuS, rs_cpu_per_req_us: Math.round((cpuS / (ok + other)) * 1e6),
    rs_capacity_one_core_rps: Math.round((ok + other) / cpuS),
  }))
} finally {
  await target.stop()
  await rm(dataDir, { recursive: true, force: true })
}
