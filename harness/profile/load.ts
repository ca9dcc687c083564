/**
 * Loads a target profile file (`export default defineTarget({...})`, TypeScript run directly by
 * Node 24) and checks it strictly, then resolves what it names from the environment: a secret the
 * profile names must be set, or nothing starts. Relative paths in the profile are relative to it.
 */
import { access } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ProfileInvalid, ProfileLoadFailed, TargetUnsafe } from '../contracts/errors.ts'
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
  try {
    await access(abs)
  } catch {
    throw new ProfileLoadFailed(`target profile not found: ${file}`, { hint: 'pass --target a built-in name (reference) or the path of a .ts file that default-exports defineTarget({...})' })
  }
  let mod: { default?: unknown }
  try {
    mod = await import(pathToFileURL(abs).href)
  } catch (e) {
    throw new ProfileLoadFailed(`${file}: the profile failed to load: ${(e as Error).message}`, {
      cause: e,
      hint: 'profile files may use erasable TypeScript only (no enums or namespaces) and must import with .ts extensions',
    })
  }
  if (mod.default === undefined) {
    throw new ProfileInvalid(`${file}: no default export`, { file, key: '', hint: 'end the file with `export default defineTarget({...})`' })
  }
  profileSchema(mod.default, { file, key: '', subject: 'target profile' })
  const profile = mod.default as TargetProfile
  checkMappings(profile.evidence.source, 'evidence.source', file)
  checkHosts(profile, file)
  checkSecrets(profile, file)
  return { file, profile, resolve: (p) => path.resolve(path.dirname(abs), p) }
}

/** Each JSONL source's mapping is compiled now, so a wrong field name stops the run before anything starts. */
function checkMappings(source: EvidenceSourceSpec, key: string, file: string): void {
  if (source.kind === 'jsonl') compileMapping(source.mapping, { file, key: `${key}.mapping` })
  if (source.kind === 'combined') source.sources.forEach((s, i) => checkMappings(s, `${key}.sources.${i}`, file))
}

/**
 * Every URL the profile names must be loopback or a host it lists with its acknowledgement
 * (docs/architecture.md "Safety"): refused here, before anything is contacted or started.
 */
function checkHosts(profile: TargetProfile, file: string): void {
  const policy = HostPolicy.fromProfile(profile.hosts)
  const urls: [string, string][] = [['issuer', profile.issuer], ...profile.resources.map((r, i): [string, string] => [`resources.${i}.origin`, r.origin])]
  const source = profile.evidence.source
  if (source.kind === 'http-cursor') urls.push(['evidence.source.url', source.url])
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
