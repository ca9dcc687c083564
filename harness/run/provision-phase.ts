/**
 * Set-up, before anything is measured: the workforce IdP, the target (trusting that IdP), the
 * seeded population, and one registration and token exchange per agent and sub-agent.
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import type { RunIdentity } from '../contracts/identity.ts'
import type { HttpClient } from '../protocol/http.ts'
import type { AsMetadata } from '../protocol/oauth-client.ts'
import type { Principal } from '../population/spec.ts'
import { buildPopulation } from '../population/generate.ts'
import { scopeSetOf } from '../population/spec.ts'
import { provision } from '../population/provision.ts'
import { idpSubjectTokens, WorkforceIdp } from '../population/workforce-idp.ts'
import type { ScenarioConfig } from '../scenario/types.ts'
import type { IdpSettings, RegistrationPolicy, StartedTarget, SubjectTokenSource, TargetAdapter } from '../contracts/target.ts'
import { readIdpKey } from '../population/idp-key-file.ts'
import { serveJwks, type JwksServer } from '../population/jwks-server.ts'
import type { RunJson } from '../contracts/run-json.ts'
import type { ProvisionedIdentity } from '../population/enroll.ts'
import type { IssuedTokenObserver } from '../contracts/issued-token.ts'

export interface ProvisionPhaseInput {
  config: ScenarioConfig
  seed: number
  adapter: TargetAdapter
  flaws: string[]
  dir: string
  log: (line: string) => void
  stop: AbortSignal
  /** the target's connection options (host policy, TLS): handed to the adapter as data and used for every OAuth call */
  http?: HttpClient
  /** environment the target's components must get for the run's evidence source (EvidenceSource.exportEnv) */
  evidenceEnv?: Record<string, string>
  /** the issued-token checks for this target (its policy is known once it started), told of every token provisioning receives */
  issued?: (target: StartedTarget) => IssuedTokenObserver
}

export interface ProvisionPhaseResult {
  target: StartedTarget
  identities: RunIdentity[]
  /** the same identities as enrolled (their RFC 7592 credentials), for cleanup after the run */
  enrolled: readonly ProvisionedIdentity[]
  summary: RunJson['population']
  samples: RunJson['delegation_samples']
  /** what attack cases need to set themselves up (attacks/kit.ts) */
  meta: AsMetadata
  /** the harness's IdP: signs the subject tokens cases craft (only where the target trusts it, capabilities.harnessIdp) */
  idp: WorkforceIdp
  /** where agents' ordinary subject tokens come from: the target's own source, else the harness's IdP */
  subjects: SubjectTokenSource
  principals: Principal[]
  /** how clients register at the target (attack set-up registers more of them the same way) */
  registration: RegistrationPolicy
  /** stops what set-up started besides the target (the IdP's JWKS server); after the target */
  close(): Promise<void>
}

/** `chain` holds the actors only, first delegate first (`actors` is current actor first); reports put the principal in front. */
export function delegationSample(i: Pick<RunIdentity, 'principal' | 'actors'> & { grantedScope: readonly string[] }): RunJson['delegation_samples'][number] {
  return { principal: i.principal, chain: [...i.actors].reverse(), scope: i.grantedScope.join(' ') }
}

/**
 * The workforce IdP the target trusts: a fresh key per run, or the stable one its settings name;
 * its JWKS served on loopback during the run when the target fetches keys by URL.
 */
async function startIdp(settings: IdpSettings = {}): Promise<{ idp: WorkforceIdp; jwks?: JwksServer }> {
  const key = settings.keyFile ? await readIdpKey(settings.keyFile) : undefined
  const idp = new WorkforceIdp({ issuer: settings.issuer, key, tenantClaim: settings.tenantClaim })
  return { idp, jwks: settings.jwksPort === undefined ? undefined : await serveJwks(idp.jwks(), settings.jwksPort) }
}

export async function provisionPhase(input: ProvisionPhaseInput): Promise<ProvisionPhaseResult> {
  const { idp, jwks } = await startIdp(input.adapter.idp)
  try {
    return await provisionWith(input, idp, jwks)
  } catch (e) {
    await jwks?.close()
    throw e
  }
}

async function provisionWith(input: ProvisionPhaseInput, idp: WorkforceIdp, jwks: JwksServer | undefined): Promise<ProvisionPhaseResult> {
  // The bootstrap secret is made per run and handed to the target directly: never in a file or log.
  const initialAccessToken = randomBytes(32).toString('base64url')
  const t0 = Date.now()
  const target = await input.adapter.start({
    trust: { issuer: idp.issuer, jwks: idp.jwks() },
    flaws: input.flaws,
    dataDir: path.join(input.dir, 'target'),
    initialAccessToken,
    log: input.log,
    ...(input.evidenceEnv ? { evidenceEnv: input.evidenceEnv } : {}),
    ...(input.http ? { connection: { hosts: [...input.http.hosts.allowances], ...(input.http.tls ? { tls: input.http.tls } : {}) } } : {}),
  })
  try {
    input.log(`target ${target.name} ${target.version} up in ${Date.now() - t0} ms: ${target.components.map((c) => `${c.name} ${c.url}`).join(', ')}`)
    // A target that says nothing about registration takes the run's initial access token and no extra members.
    const registration: RegistrationPolicy = target.registration ?? { initialAccessToken: () => initialAccessToken, members: () => ({}), cleanup: 'keep' }
    const p = input.config.population
    const pop = buildPopulation({ tenants: p.tenants, agents: p.agents, subAgentsPerAgent: p.subAgentsPerAgent ?? 0, depth: p.depth ?? 1, principalsPerTenant: p.principalsPerTenant }, input.seed, scopeSetOf(target.resources[0].tools))
    const total = pop.agents.length + pop.subAgents.length
    const t1 = Date.now()
    let lastShown = 0
    const subjects = input.adapter.subjectTokens ?? idpSubjectTokens(idp)
    if (input.adapter.subjectTokens) input.log(`subject tokens from ${subjects.describe}`)
    const prov = await provision(pop, {
      issuer: target.issuer,
      resource: target.resources[0].audience,
      registration,
      subjects,
      http: input.http,
      observe: input.issued?.(target),
      concurrency: 16,
      onProgress: (done) => {
        const now = Date.now()
        if (done === total || now - lastShown > 2000) {
          lastShown = now
          input.log(`provisioning: ${done}/${total} identities registered and delegated`)
        }
      },
    })
    const n = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`
    input.log(`provisioned ${n(pop.agents.length, 'agent')} and ${n(pop.subAgents.length, 'sub-agent')} for ${n(pop.principals.length, 'principal')} in ${n(pop.tenants.length, 'tenant')} (${((Date.now() - t1) / 1000).toFixed(1)} s)`)
    // The provisioned identities themselves, not copies: a refreshed token (key rotation, renewing
    // cases) reaches the load at once, and 100k identities are not held twice.
    const identities: RunIdentity[] = prov.identities
    const deepest = prov.identities.filter((i) => i.depth === Math.max(...prov.identities.map((x) => x.depth))).slice(0, 5)
    return {
      target,
      identities,
      enrolled: prov.identities,
      meta: prov.meta,
      idp,
      subjects,
      principals: pop.principals,
      registration,
      close: async () => void (await jwks?.close()),
      summary: {
        tenants: pop.tenants.length,
        principals: pop.principals.length,
        agents: pop.agents.length,
        sub_agents: pop.subAgents.length,
        max_depth: Math.max(...prov.identities.map((i) => i.depth)),
      },
      samples: deepest.map(delegationSample),
    }
  } catch (e) {
    await target.stop().catch(() => {})
    throw e
  }
}
