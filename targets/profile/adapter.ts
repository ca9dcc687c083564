/**
 * A target adapter made from a target profile (harness/profile/): the deployment the user owns,
 * reached through what the profile declares and what the AS publishes. Capabilities come from RFC
 * 8414 metadata (token exchange, DPoP algorithms, registration, revocation), overridable by the
 * profile; resources and tools are the profile's; clients register the profile's way
 * (RegistrationPolicy: its initial access token from the environment, its tenancy, its members).
 *
 * The harness never imports this: the CLI resolves `--target <file>` to it.
 */
import type { JsonWebKey } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { FlawUnknown, ProfileInvalid } from '../../harness/contracts/errors.ts'
import { importIdentityKey } from '../../harness/protocol/identity-key.ts'
import { adminHooks } from './admin-hooks.ts'
import { commandSubjectTokens } from './subject-token-command.ts'
import type { EvidenceSourceSpec, IdpSettings, RegistrationPolicy, ResourceServerInfo, StartedTarget, TargetAdapter, TargetCapabilities, ToolSpec } from '../../harness/contracts/target.ts'
import { secretsOf, secretValue, type LoadedProfile } from '../../harness/profile/load.ts'
import { DEFAULT_STATE_DIR } from '../../harness/chaos/chaos-session.ts'
import { Redactor } from '../../harness/protocol/redact.ts'
import { checkDeploymentSpec, logsDirFor, startDeployment, type DeploymentSpec } from './deployment/index.ts'
import type { ResourceProfile, TargetProfile } from '../../harness/profile/types.ts'
import { HostPolicy } from '../../harness/protocol/host-policy.ts'
import { HttpClient } from '../../harness/protocol/http.ts'
import { discoverResource } from '../../harness/protocol/resource-metadata.ts'
import { discover, GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE, type AsMetadata } from '../../harness/protocol/oauth-client.ts'

/** What the AS says it can do (RFC 8414 §2; RFC 9449 §5.1 `dpop_signing_alg_values_supported`). */
export function capabilitiesOf(meta: AsMetadata): TargetCapabilities {
  const grants = meta.grant_types_supported ?? []
  return {
    dpop: (meta.dpop_signing_alg_values_supported ?? []).includes('ES256'),
    tokenExchange: grants.includes(GRANT_TOKEN_EXCHANGE),
    clientCredentials: grants.includes(GRANT_CLIENT_CREDENTIALS),
    registration: typeof meta.registration_endpoint === 'string',
    revocation: typeof meta.revocation_endpoint === 'string',
    // RFC 7592 has no metadata member: a registration response with a registration_client_uri
    // shows it per client; the profile says so for the whole run.
    clientDeletion: false,
    adminHooks: false,
    // what the profile's principals say, not the metadata: see profileTarget
    harnessIdp: true,
    replicas: 1,
  }
}

export function registrationPolicyOf(profile: TargetProfile, file: string): RegistrationPolicy {
  const reg = profile.identities.registration ?? {}
  const tenancy = reg.tenancy ?? { via: 'subject-claim' as const }
  return {
    initialAccessToken(tenant) {
      if (tenancy.via === 'initial-access-token') {
        const secret = tenancy.perTenant[tenant]
        if (!secret) {
          throw new ProfileInvalid(`${file}: \`identities.registration.tenancy.perTenant\` has no initial access token for tenant ${tenant}`, {
            file,
            key: 'identities.registration.tenancy.perTenant',
            hint: `name one environment variable per tenant the population draws (${tenant} among them), or lower population.tenants`,
          })
        }
        return secretValue(secret)
      }
      return reg.initialAccessToken ? secretValue(reg.initialAccessToken) : undefined
    },
    members({ tenant, parentClientId }) {
      return {
        ...reg.metadata,
        ...(tenancy.via === 'registration-member' ? { [tenancy.member]: tenant } : {}),
        ...(reg.parentMember && parentClientId ? { [reg.parentMember]: parentClientId } : {}),
      }
    },
    cleanup: reg.cleanup ?? 'delete',
  }
}

/**
 * The clients file of an AS without dynamic registration, checked before anything else: each entry
 * a client id and a private P-256 JWK (ES256), optionally a tenant. Handed out in file order, a
 * tenant's own clients first; never deleted after the run (the user registered them).
 */
export async function preRegisteredPolicy(loaded: LoadedProfile, clientsFile: string): Promise<RegistrationPolicy> {
  const file = loaded.resolve(clientsFile)
  const key = 'identities.clients.file'
  const invalid = (problem: string, hint: string): ProfileInvalid => new ProfileInvalid(`${loaded.file}: \`${key}\` (${file}) ${problem}`, { file: loaded.file, key, hint })
  let entries: unknown
  try {
    entries = JSON.parse(await readFile(file, 'utf8'))
  } catch (e) {
    throw invalid(`cannot be read as JSON: ${(e as Error).message}`, 'a JSON array of { "client_id": "…", "jwk": { private P-256 JWK }, "tenant"?: "t_1" }')
  }
  if (!Array.isArray(entries) || entries.length === 0) throw invalid('is not a non-empty array', 'a JSON array of { "client_id", "jwk", "tenant"? }, one per agent and sub-agent')
  const pool = entries.map((e, i) => {
    const x = e as { client_id?: unknown; jwk?: JsonWebKey; tenant?: unknown }
    if (typeof x?.client_id !== 'string' || typeof x.jwk !== 'object') throw invalid(`entry ${i} has no client_id or jwk`, 'each entry: { "client_id": "…", "jwk": { "kty": "EC", "crv": "P-256", "x", "y", "d" } }')
    try {
      return { clientId: x.client_id, key: importIdentityKey(x.jwk), tenant: typeof x.tenant === 'string' ? x.tenant : null, used: false }
    } catch (err) {
      throw invalid(`entry ${i} (${x.client_id}): its jwk is not a private P-256 key: ${(err as Error).message}`, 'the jwk must hold d (the private key) for private_key_jwt and DPoP')
    }
  })
  return {
    initialAccessToken: () => undefined,
    members: () => ({}),
    cleanup: 'keep',
    preRegistered(tenant) {
      const next = pool.find((c) => !c.used && c.tenant === tenant) ?? pool.find((c) => !c.used && c.tenant === null)
      if (!next) return undefined
      next.used = true
      return { clientId: next.clientId, key: next.key }
    },
  }
}

function idpSettingsOf(loaded: LoadedProfile): IdpSettings {
  const { profile } = loaded
  const tenancy = profile.identities.registration?.tenancy
  const idp = profile.principals?.idp
  return {
    ...(idp?.keyFile ? { keyFile: loaded.resolve(idp.keyFile) } : {}),
    ...(idp?.jwksPort ? { jwksPort: idp.jwksPort } : {}),
    ...(idp?.issuer ? { issuer: idp.issuer } : {}),
    tenantClaim: tenancy === undefined || tenancy.via !== 'subject-claim' ? 'tenant' : (tenancy.claim ?? 'tenant'),
  }
}

/** The profile's evidence source, files' paths made absolute (the profile's folder is their base). */
function evidenceOf(loaded: LoadedProfile, source: EvidenceSourceSpec = loaded.profile.evidence.source): EvidenceSourceSpec {
  switch (source.kind) {
    case 'jsonl':
      return { ...source, file: loaded.resolve(source.file) }
    case 'combined':
      return { ...source, sources: source.sources.map((s) => evidenceOf(loaded, s)) }
    default:
      return source
  }
}

/** Every process and container of the deployment with the evidence source's environment added (the run's wins: the receiver's endpoint and secret are this run's). */
function withEvidenceEnv(spec: DeploymentSpec, env: Record<string, string> | undefined): DeploymentSpec {
  if (!env || Object.keys(env).length === 0) return spec
  return {
    ...spec,
    ...(spec.processes ? { processes: spec.processes.map((p) => ({ ...p, env: { ...p.env, ...env } })) } : {}),
    ...(spec.containers ? { containers: spec.containers.map((c) => ({ ...c, env: { ...c.env, ...env } })) } : {}),
  }
}

/** Every secret the profile names, registered with the redactor the deployment's logs go through. */
function redactorFor(profile: TargetProfile, evidenceEnv: Record<string, string> = {}): Redactor {
  const redactor = new Redactor()
  // (the redactor refuses what is too short to find safely in a log line: such a value is no secret worth the name)
  for (const { secret } of secretsOf(profile)) if (secretValue(secret).length >= 8) redactor.register(secretValue(secret))
  // the OTLP receiver's per-run secret header, should a component print its environment
  for (const [k, v] of Object.entries(evidenceEnv)) {
    const secret = k.endsWith('_HEADERS') ? decodeURIComponent(v.slice(v.indexOf('=') + 1)) : ''
    if (secret.length >= 8) redactor.register(secret)
  }
  return redactor
}

/** A resource server as the profile states it, or as its RFC 9728 metadata says (the `resource` is the audience and the origin). */
async function resourceInfo(r: ResourceProfile, issuer: string, http: HttpClient): Promise<ResourceServerInfo> {
  const tools = r.tools.map((t): ToolSpec => ({
    name: t.name,
    method: t.method,
    path: t.path,
    scope: t.scope,
    writes: t.writes ?? false,
    ...(t.limit ? { limit: t.limit } : {}),
    // the call the deployment owner declared safe, which `target check` makes without --call-writes
    ...(t.preflight ? { preflight: t.preflight } : {}),
  }))
  // declared by the deployment's owner: the harness guesses no private path
  const internal = r.internalPaths !== undefined ? { internalPaths: r.internalPaths.map((p) => ({ ...p })) } : {}
  if (r.metadata === undefined) return { id: r.id, audience: r.audience, origin: r.origin.replace(/\/$/, ''), tools, ...internal }
  const meta = await discoverResource(r.metadata, { issuer, http })
  return { id: r.id, audience: meta.resource, origin: meta.resource.replace(/\/$/, ''), tools, ...internal }
}

export function profileTarget(loaded: LoadedProfile): TargetAdapter {
  const { profile, file } = loaded
  // checked now, with the rest of the profile: a bad deployment section stops before anything starts
  const deployment = profile.deployment === undefined ? undefined : checkDeploymentSpec(profile.deployment, { file })
  const command = profile.principals?.command
  return {
    name: profile.name,
    // Flaw switches belong to the reference target; a deployment's own misconfigurations are its own.
    flaws: [],
    idp: idpSettingsOf(loaded),
    // opened by the run before start(): a receiver listens before the deployment sends to it
    evidence: evidenceOf(loaded),
    ...(command ? { subjectTokens: commandSubjectTokens(command, path.dirname(path.resolve(file))) } : {}),
    ...(profile.hosts || profile.tls ? { connection: { ...(profile.hosts ? { hosts: profile.hosts } : {}), ...(profile.tls?.ca ? { tls: { ca: loaded.resolve(profile.tls.ca) } } : {}) } } : {}),
    async start(options): Promise<StartedTarget> {
      if (options.flaws && options.flaws.length > 0) {
        throw new FlawUnknown(`--flaw ${options.flaws.join(', ')}: flaw switches belong to the reference target, not to ${profile.name} (${file})`, { hint: 'run without --flaw, or with --target reference' })
      }
      // The clients file first: a bad one stops the run before anything is contacted.
      const registration = profile.identities.clients ? await preRegisteredPolicy(loaded, profile.identities.clients.file) : registrationPolicyOf(profile, file)
      // what the run's evidence source needs the deployment to know (an OTLP receiver's endpoint and secret)
      const redactor = deployment ? redactorFor(profile, options.evidenceEnv) : undefined
      const started = deployment ? await startDeployment(withEvidenceEnv(deployment, options.evidenceEnv), {
        stateDir: DEFAULT_STATE_DIR,
        // beside the run directory (the target's data dir is <run>/target), never inside what a board receives
        logsDir: logsDirFor(path.dirname(options.dataDir)),
        redactor: redactor!,
        log: options.log,
        baseDir: path.dirname(path.resolve(file)),
      }) : undefined
      const http = new HttpClient({ hosts: HostPolicy.fromProfile(options.connection?.hosts), tls: options.connection?.tls })
      let meta: AsMetadata
      let resources: ResourceServerInfo[]
      try {
        meta = await discover(profile.issuer, http)
        resources = await Promise.all(profile.resources.map((r) => resourceInfo(r, profile.issuer, http)))
      } catch (e) {
        await started?.stop()
        throw e
      } finally {
        await http.close()
      }
      const stop = async (): Promise<void> => void (await started?.stop())
      const admin = adminHooks(profile.admin, path.dirname(path.resolve(file)))
      return {
        name: profile.name,
        version: typeof meta.service_documentation === 'string' ? meta.service_documentation : 'profile',
        issuer: profile.issuer,
        resources,
        capabilities: {
          ...capabilitiesOf(meta),
          adminHooks: admin !== undefined,
          ...profile.capabilities,
          // Clients the user registered are theirs: no case may register or delete one.
          ...(profile.identities.clients ? { registration: false, clientDeletion: false } : {}),
          // An AS that trusts the user's own IdP cannot verify what the harness's IdP signs.
          harnessIdp: command === undefined,
        },
        evidence: evidenceOf(loaded),
        components: started && started.components.length > 0 ? started.components : [{ name: 'as', url: profile.issuer }, ...resources.map((r) => ({ name: r.id, url: r.origin }))],
        flaws: [],
        registration,
        ...(admin ? { admin } : {}),
        ...(profile.policy ? { policy: profile.policy } : {}),
        stop,
        [Symbol.asyncDispose]: stop,
      }
    },
  }
}
