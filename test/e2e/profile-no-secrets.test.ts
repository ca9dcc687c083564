/**
 * docs/architecture.md "Safety", on the profile path: a deployment gatecrash did not write (the
 * agent-tools example) handles the secrets a user's deployment would, and none of them may appear
 * in the run directory, beside it in the deployment's logs folder, or in the log:
 * - subject tokens from the profile's command (principals.command), and the private key `d` of the
 *   IdP behind it; the initial access token from the environment the profile names; every access
 *   token issued, every registration access token, every identity's key `d` (clients registered
 *   by the run);
 * - the private JWK `d` of every client in a pre-registered clients file (identities.clients), with
 *   the harness's workforce IdP on a stable key (principals.idp.keyFile), whose `d` is looked for too.
 * Each secret is searched as it is, base64url-, base64- and URL-encoded, and per JWT segment.
 */
import type { RunJson } from '../../harness/contracts/run-json.ts'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import type { SubjectTokenSource, TargetAdapter } from '../../harness/contracts/target.ts'
import { loadProfile } from '../../harness/profile/load.ts'
import { initIdpKey } from '../../harness/population/idp-key-file.ts'
import { WorkforceIdp } from '../../harness/population/workforce-idp.ts'
import { exportIdentityKey, generateIdentityKey } from '../../harness/protocol/identity-key.ts'
import { discover, registerClient } from '../../harness/protocol/oauth-client.ts'
import { RunSession } from '../../harness/run/session.ts'
import type { ScenarioConfig } from '../../harness/scenario/types.ts'
import { profileTarget } from '../../targets/profile/adapter.ts'
import { freePortBlock } from '../helpers/example.ts'
import { addIdentitySecrets, leaksOf, textsUnder } from '../helpers/secret-scan.ts'
import { INITIAL_ACCESS_TOKEN, SUPPORT_SCOPES, startDeployment, type Deployment } from '../spec/examples/agent-tools/helpers/deployment.ts'

const EXAMPLE_PROFILE = path.resolve('targets/examples/agent-tools/agent-tools.target.ts')
const ENV = ['AGENT_TOOLS_PORT', 'AGENT_TOOLS_DATA_DIR', 'AGENT_TOOLS_SUBJECTS', 'EXAMPLE_INITIAL_ACCESS_TOKEN'] as const

const config = (cases: string[]): ScenarioConfig => ({
  seed: 13,
  population: { tenants: 2, agents: 6, subAgentsPerAgent: 1, depth: 2 },
  scenarios: { workload: { executor: 'constant-arrival-rate', rate: 30, timeUnit: '1s', duration: '4s', preAllocatedVUs: 16 } },
  attacks: { share: 0.5, cases },
  evidence: { settle: '2s' },
})

/** A run through `adapter` (in process, so the test sees every identity the run made), with its log. */
async function run(adapter: TargetAdapter, cases: string[], secrets: Set<string>) {
  const logs: string[] = []
  const outRoot = await mkdtemp(path.join(tmpdir(), 'gatecrash-profile-secrets-'))
  const session = await RunSession.create({ scenario: { file: '(test)', name: 'profile-no-secrets', config: config(cases) }, target: adapter, outRoot, log: (l) => logs.push(l) })
  const s = await session.setUp()
  const collect = (): void => addIdentitySecrets([...s.phase.enrolled, ...s.kit.enrolled], secrets)
  collect()
  await session.measure()
  collect()
  const outcome = await session.finish()
  return { outcome, logs, texts: [['the log', logs.join('\n')] as [string, string], ...(await textsUnder(outcome.dir, `${outcome.dir}.logs`))] }
}

/** The source's tokens, each also added to `secrets` as it is handed out. */
function collecting(source: SubjectTokenSource, secrets: Set<string>): SubjectTokenSource {
  return { ...source, subjectTokenFor: async (p, aud) => { const t = await source.subjectTokenFor(p, aud); secrets.add(t); return t } }
}

/** The failed gates with the cases behind them and their first failing example, for the assertion message. */
const failedGates = (run: RunJson): string =>
  run.gates.filter((g) => !g.ok).map((g) => `${g.metric} ${g.expression}: ${g.cases.map((id) => `${id} (${run.cases.find((c) => c.id === id)?.examples[0]?.why ?? ''})`).join('; ')}`).join('\n')

afterEach(() => {
  for (const k of ENV) delete process.env[k]
})

describe('docs/architecture.md Safety: no secret of a profile\'s deployment in the run directory, its logs folder or the log', () => {
  test('subject tokens from the profile\'s command, its IdP key, the initial access token, access and registration tokens, client keys', async () => {
    const data = await mkdtemp(path.join(tmpdir(), 'agent-tools-data-'))
    Object.assign(process.env, {
      AGENT_TOOLS_PORT: String(await freePortBlock()),
      AGENT_TOOLS_DATA_DIR: data,
      AGENT_TOOLS_SUBJECTS: 'command',
      EXAMPLE_INITIAL_ACCESS_TOKEN: randomBytes(24).toString('base64url'),
    })
    const secrets = new Set<string>([process.env.EXAMPLE_INITIAL_ACCESS_TOKEN!])
    const adapter = profileTarget(await loadProfile(EXAMPLE_PROFILE))
    expect(adapter.subjectTokens).toBeDefined()
    adapter.subjectTokens = collecting(adapter.subjectTokens!, secrets)
    const { outcome, texts } = await run(adapter, ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'unattributed.anon-exchange', 'unattributed.client-assertion.*', 'escalate.typ-confusion.user-assertion', 'lifecycle.offboarded-agent.token-request', 'escalate.may-act'], secrets)
    // the command's IdP key, made by the profile in the data folder
    secrets.add(JSON.parse(await readFile(path.join(data, 'idp', 'signing-key.jwk'), 'utf8')).d)

    expect(outcome.run.verdict, failedGates(outcome.run)).toBe('ready')
    expect(outcome.run.load.attempts).toBeGreaterThan(50)
    // a case that signs its own subject token cannot be proved against an AS that trusts another IdP
    expect((outcome.run.coverage ?? []).filter((c) => !c.covered)).toEqual([expect.objectContaining({ case: 'escalate.may-act', reason: expect.stringContaining("profile's command") })])
    const subjectTokens = [...secrets].filter((t) => t.split('.').length === 3 && JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()).iss === 'https://login.agent-tools.example.invalid')
    expect(subjectTokens.length).toBeGreaterThanOrEqual(6)
    expect(secrets.size).toBeGreaterThan(40)
    // the deployment's own output was kept (and searched)
    expect(texts.some(([where]) => where.includes('.logs'))).toBe(true)
    expect(leaksOf(secrets, texts)).toEqual([])
  }, 180_000)

  describe('clients registered beforehand', () => {
    let d: Deployment | undefined
    afterEach(async () => {
      await d?.stop()
      d = undefined
    })

    test('every private JWK `d` of the clients file, the stable IdP key, access tokens', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'gatecrash-preregistered-'))
      const keyFile = path.join(dir, 'idp.jwk')
      const idpKey = (await initIdpKey(keyFile, process.cwd())).key
      const issuer = 'https://workforce-idp.preregistered.invalid'
      d = await startDeployment({ idp: { issuer, jwks: new WorkforceIdp({ key: idpKey, issuer }).jwks() } })
      // the user's clients, registered before any run (12 = 6 agents + 6 sub-agents)
      const meta = await discover(d.issuer)
      const clients = []
      for (let i = 0; i < 12; i++) {
        const key = generateIdentityKey()
        const reg = await registerClient(meta, { name: `pre-${i}`, key, scope: SUPPORT_SCOPES, initialAccessToken: INITIAL_ACCESS_TOKEN, members: {} })
        clients.push({ client_id: reg.clientId, jwk: { ...key.publicJwk, d: exportIdentityKey(key).split('.')[0] } })
      }
      await writeFile(path.join(dir, 'clients.json'), JSON.stringify(clients), { mode: 0o600 })
      const example = (await import(EXAMPLE_PROFILE)).default
      const mapping = example.evidence.source.sources[0].mapping
      const profileFile = path.join(dir, 'preregistered.target.ts')
      await writeFile(profileFile, `import { defineTarget } from 'gatecrash'
export default defineTarget(${JSON.stringify({
        name: 'preregistered',
        issuer: d.issuer,
        resources: [{ id: 'support', audience: d.support, origin: d.support, tools: example.resources[0].tools }],
        identities: { clients: { file: './clients.json' } },
        principals: { idp: { keyFile, issuer } },
        evidence: { source: { kind: 'combined', sources: [d.as.audit, d.rsSupport.audit].map((file) => ({ kind: 'jsonl', file, mapping, waitForFile: '5s' })) } },
      }, null, 2)})
`)
      const secrets = new Set<string>([INITIAL_ACCESS_TOKEN, exportIdentityKey(idpKey).split('.')[0], ...clients.map((c) => c.jwk.d)])
      const adapter = profileTarget(await loadProfile(profileFile))
      const { outcome, texts } = await run(adapter, ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'unattributed.client-assertion.*'], secrets)
      expect(outcome.run.verdict, failedGates(outcome.run)).toBe('ready')
      expect(outcome.run.population.agents + outcome.run.population.sub_agents).toBe(12)
      expect(leaksOf(secrets, texts)).toEqual([])
    }, 180_000)
  })
})
