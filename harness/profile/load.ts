/**
 * Loads a target profile file (`export default defineTarget({...})`, TypeScript run directly by
 * Node 24) and checks it strictly, then resolves what it names from the environment: a secret the
 * profile names must be set, or nothing starts. Relative paths in the profile are relative to it.
 */
import path from 'node:path'
import { importDefault } from '../config/import-default.ts'
import { ProfileInvalid, TargetUnsafe } from '../contracts/errors.ts'
import { HostPolicy } from '../protocol/host-policy.ts'
import type { EvidenceSourceSpec } from '../contracts/target.ts'
import { compileMapping } from '../evidence/mapping.ts'
import { profileSchema } from './schema.ts'
import type { EnvSecret, TargetProfile } from './types.ts'

export interface LoadedProfile {
  file: string
  profile: TargetProfile
  /** resolves a relative path of the profile against the profile's folder */
  resolve(p: string): string
}

export async function loadProfile(file: string): Promise<LoadedProfile> {
  const abs = path.resolve(file)
  const value = await importDefault(file, 'target profile')
  profileSchema(value, { file, key: '', subject: 'target profile' })
  const profile = value as TargetProfile
  checkMappings(profile.evidence.source, 'evidence.source', file)
  checkHosts(profile, file)
  checkSecrets(profile, file)
  return { file, profile, resolve: (p) => path.resolve(path.dirname(abs), p) }
}

/** Each source's mapping is compiled now, so a wrong field name stops the run before anything starts. */
function checkMappings(source: EvidenceSourceSpec, key: string, file: string): void {
  if ('mapping' in source) compileMapping(source.mapping, { file, key: `${key}.mapping` })
  if (source.kind === 'combined') source.sources.forEach((s, i) => checkMappings(s, `${key}.sources.${i}`, file))
}

/**
 * Every URL the profile names must be loopback or a host it lists with its acknowledgement
 * (docs/architecture.md "Safety"): refused here, before anything is contacted or started.
 */
function checkHosts(profile: TargetProfile, file: string): void {
  const policy = HostPolicy.fromProfile(profile.hosts)
  const urls: [string, string][] = [['issuer', profile.issuer], ...profile.resources.map((r, i): [string, string] => (r.metadata !== undefined ? [`resources.${i}.metadata`, r.metadata] : [`resources.${i}.origin`, r.origin]))]
  const source = profile.evidence.source
  const sources = (s: EvidenceSourceSpec, key: string): [string, EvidenceSourceSpec][] => (s.kind === 'combined' ? s.sources.flatMap((x, i) => sources(x, `${key}.sources.${i}`)) : [[key, s]])
  for (const [key, s] of sources(source, 'evidence.source')) if (s.kind === 'http-cursor' || s.kind === 'http-log-api') urls.push([`${key}.url`, s.url.replaceAll('{limit}', '1')])
  for (const [key, url] of urls) {
    try {
      policy.checkUrl(url)
    } catch (e) {
      if (e instanceof TargetUnsafe) throw new TargetUnsafe(`${file}: \`${key}\` ${e.message}`, { cause: e, hint: e.hint })
      throw e
    }
  }
}

/** Every secret the profile names, with the key that names it. */
export function secretsOf(profile: TargetProfile): { key: string; secret: EnvSecret }[] {
  const reg = profile.identities.registration
  const out: { key: string; secret: EnvSecret }[] = []
  // the evidence sources' credentials: a connection string with its password, an API token, a shared secret
  const evidence = (s: EvidenceSourceSpec, key: string): void => {
    if (s.kind === 'combined') s.sources.forEach((x, i) => evidence(x, `${key}.sources.${i}`))
    if (s.kind === 'postgres') out.push({ key: `${key}.connectionEnv`, secret: { env: s.connectionEnv } })
    if (s.kind === 'http-log-api' && s.auth) out.push({ key: `${key}.auth.env`, secret: { env: s.auth.env } })
    if (s.kind === 'otlp-logs' && s.secretEnv) out.push({ key: `${key}.secretEnv`, secret: { env: s.secretEnv } })
  }
  evidence(profile.evidence.source, 'evidence.source')
  if (!reg) return out
  if (reg.initialAccessToken) out.push({ key: 'identities.registration.initialAccessToken.env', secret: reg.initialAccessToken })
  if (reg.tenancy?.via === 'initial-access-token') {
    for (const [tenant, secret] of Object.entries(reg.tenancy.perTenant)) out.push({ key: `identities.registration.tenancy.perTenant.${tenant}.env`, secret })
  }
  return out
}

/** An unset or empty variable is a user mistake found before anything starts, not a 401 later. */
function checkSecrets(profile: TargetProfile, file: string): void {
  for (const { key, secret } of secretsOf(profile)) {
    if (!process.env[secret.env]) {
      throw new ProfileInvalid(`${file}: \`${key}\` names the environment variable ${secret.env}, which is not set`, {
        file,
        key,
        hint: `export ${secret.env}=<the value> before the run (secrets never live in the profile)`,
      })
    }
  }
}

/** The value of a secret the profile names (checked at load). */
export function secretValue(secret: EnvSecret): string {
  return process.env[secret.env] ?? ''
}
