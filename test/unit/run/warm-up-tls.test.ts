/**
 * Warm-up against an https resource server: with the right CA it warms as over plain http; when
 * every read fails TLS (here: a CA that did not sign the server's certificate) the run stops with
 * ERR_TARGET_TLS naming the origin and the CA file, instead of measuring the same failure.
 */
import { once } from 'node:events'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { RunIdentity } from '../../../harness/contracts/identity.ts'
import type { ResourceServerInfo } from '../../../harness/contracts/target.ts'
import { HttpPools } from '../../../harness/load/http-pool.ts'
import { generateIdentityKey } from '../../../harness/protocol/identity-key.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'
import { warmUp } from '../../../harness/run/measure/warm-up.ts'
import { makeTestCerts, type TestCerts } from '../../helpers/tls-certs.ts'

let certs: TestCerts
let server: ReturnType<typeof createServer>
let rs: ResourceServerInfo
const identities: RunIdentity[] = []

beforeAll(async () => {
  certs = makeTestCerts()
  server = createServer({ key: certs.serverKey, cert: certs.serverCert }, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  rs = { id: 'rs', audience: origin, origin, tools: [{ name: 'ticket.read', method: 'GET', path: '/t/{tenant}/tickets/{id}', scope: 'tickets:read', writes: false }] }
  for (let i = 0; i < 3; i++) {
    const accessToken = `at.${i}.sig`
    identities.push({ ref: `a${i}`, kind: 'agent', clientId: `c${i}`, tenant: 't_1', principal: `u${i}`, scope: ['tickets:read'], actors: [`c${i}`], credential: { accessToken, tokenHash: tokenHash(accessToken), key: generateIdentityKey() } })
  }
})

afterAll(() => {
  server.closeAllConnections()
  server.close()
  certs.remove()
})

describe('warm-up over TLS', () => {
  test('the profile CA: every read succeeds', async () => {
    const pools = new HttpPools(4, { tls: { ca: certs.caFile } })
    const lines: string[] = []
    await warmUp({ identities, rs, pools, log: (l) => lines.push(l), requests: 6 })
    await pools.close()
    expect(lines).toEqual(['warm-up: 6/6 reads succeeded'])
  })

  test('another CA: every read fails TLS → ERR_TARGET_TLS naming the origin and the CA file', async () => {
    const pools = new HttpPools(4, { tls: { ca: certs.otherCaFile } })
    const error = await warmUp({ identities, rs, pools, log: () => {}, requests: 6 }).then(() => null, (e: unknown) => e)
    await pools.close()
    expect(error).toMatchObject({ code: 'ERR_TARGET_TLS', message: expect.stringContaining(rs.origin), hint: expect.stringContaining(certs.otherCaFile) })
  })
})
