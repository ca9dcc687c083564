/**
 * Run as a forked child by lifecycle.test.ts: starts the reference target, reports its component
 * pids, then waits to be SIGKILLed, so the test can check the components notice and exit.
 */
import { generateKeyPairSync } from 'node:crypto'
import { referenceTarget } from '../../../../targets/reference/adapter.ts'

const idp = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const jwk = { ...idp.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256' }
const target = await referenceTarget.start({
  trust: { issuer: 'https://idp.orphan.test', jwks: { keys: [jwk] } },
  dataDir: process.argv[2],
  initialAccessToken: 'orphan-parent-initial-access-token',
})
process.send?.({ pids: target.components.map((c) => c.pid) })
setTimeout(() => void target.stop(), 30_000) // never reached in the test; bounds the process's life otherwise
