/**
 * docs/architecture.md "Safety": no raw token, proof, assertion or private key in any artifact or
 * log line. A short run with attacks (replays, forged and stolen tokens, client assertions, an
 * offboarded agent) against the reference target, with every secret the run handled collected as it
 * was made: the initial access token, each identity's private key `d`, the IdP's key `d`, every
 * subject token the IdP signed and every access token issued. Then every file of the run directory
 * (run.db included) and every log line is searched for each secret as it is, base64url-, base64- and
 * URL-encoded, and for each JWT segment that carries a secret (payload, signature).
 */
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mkdtemp } from 'node:fs/promises'
import { describe, expect, test } from 'vitest'
import type { TargetAdapter } from '../../harness/contracts/target.ts'
import { initIdpKey } from '../../harness/population/idp-key-file.ts'
import { exportIdentityKey } from '../../harness/protocol/identity-key.ts'
import { RunSession } from '../../harness/run/session.ts'
import type { ScenarioConfig } from '../../harness/scenario/types.ts'
import { referenceTarget } from '../../targets/reference/adapter.ts'
import { addIdentitySecrets, leaksOf, textsUnder } from '../helpers/secret-scan.ts'

const config: ScenarioConfig = {
  seed: 11,
  population: { tenants: 2, agents: 8, subAgentsPerAgent: 1, depth: 2 },
  scenarios: { workload: { executor: 'constant-arrival-rate', rate: 30, timeUnit: '1s', duration: '4s', preAllocatedVUs: 16 } },
  attacks: { share: 0.5, cases: ['replay.dpop-jti-reuse', 'replay.stolen-token.*', 'escalate.forged-jwt.*', 'unattributed.client-assertion.*', 'lifecycle.offboarded-agent'] },
  evidence: { settle: '1s' },
}

describe('docs/architecture.md Safety: no secret in the run directory or the log', () => {
  test('the initial access token, every private key, subject token and access token: none appears, in any encoding', async () => {
    const secrets = new Set<string>()
    const keyFile = path.join(await mkdtemp(path.join(tmpdir(), 'gatecrash-idp-')), 'idp.jwk')
    const idpKey = (await initIdpKey(keyFile, process.cwd())).key
    secrets.add(exportIdentityKey(idpKey).split('.')[0])
    // the reference target, but telling the test the bootstrap secret it was handed
    const adapter: TargetAdapter = {
      ...referenceTarget,
      idp: { keyFile },
      start: async (options) => {
        secrets.add(options.initialAccessToken)
        return referenceTarget.start(options)
      },
    }
    const logs: string[] = []
    const outRoot = await mkdtemp(path.resolve('.tmp', 'secrets-'))
    const session = await RunSession.create({ scenario: { file: '(test)', name: 'no-secrets', config }, target: adapter, outRoot, log: (l) => logs.push(l) })
    const s = await session.setUp()
    const assertionFor = s.phase.idp.assertionFor.bind(s.phase.idp)
    s.phase.idp.assertionFor = (...args) => {
      const token = assertionFor(...args)
      secrets.add(token)
      return token
    }
    const collect = (): void => addIdentitySecrets([...s.phase.enrolled, ...s.kit.enrolled], secrets)
    collect()
    await session.measure()
    collect()
    const outcome = await session.finish()
    expect(outcome.run.load.attempts).toBeGreaterThan(50)
    expect(secrets.size).toBeGreaterThan(40)

    const leaks = leaksOf(secrets, [['the log', logs.join('\n')], ...(await textsUnder(outcome.dir))])
    expect(leaks).toEqual([])
  }, 120_000)
})
