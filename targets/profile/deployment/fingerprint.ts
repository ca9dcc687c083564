/**
 * A deployment's settings as a fingerprint: one keyed hash per setting (`processes.as.env.FLAW`,
 * `processes.as.command`, `containers.db.dockerfile`…), so a later start can tell whether a running
 * deployment was started with the same settings and name the ones that differ, without any value
 * (an env value may be a secret) being stored in clear. Each fingerprint has its own random salt:
 * equal values in two fingerprints do not hash alike, and no table of precomputed hashes applies.
 *
 * @example
 * const settings = await settingsOf(spec, baseDir)      // in memory only: values in clear
 * const print = fingerprint(settings)                    // { salt, hashes }: safe to write down
 * differingSettings(print, settings)                     // [] or ['processes.as.env.FLAW', …]
 */
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { DeploymentSpec } from './spec.ts'

export interface Fingerprint {
  salt: string
  /** setting key → HMAC-SHA256(salt, key NUL value), base64url */
  hashes: Record<string, string>
}

const hashOf = (salt: string, key: string, value: string): string => createHmac('sha256', Buffer.from(salt, 'base64url')).update(`${key}\0${value}`).digest('base64url')

/** The settings that decide whether a running deployment is this one, by key (values in clear: never write them). */
export async function settingsOf(spec: DeploymentSpec, baseDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const containers = spec.containers ?? []
  const processes = spec.processes ?? []
  out.containers = JSON.stringify(containers.map((c) => c.name))
  out.processes = JSON.stringify(processes.map((p) => p.name))
  for (const c of containers) {
    const at = `containers.${c.name}`
    const dockerfile = path.resolve(baseDir, c.dockerfile)
    const content = await readFile(dockerfile).catch(() => Buffer.alloc(0))
    out[`${at}.dockerfile`] = `${dockerfile}\0${createHash('sha256').update(content).digest('base64url')}`
    out[`${at}.context`] = path.resolve(baseDir, c.context)
    out[`${at}.ready`] = JSON.stringify(c.ready)
    if (c.url !== undefined) out[`${at}.url`] = c.url
    if (c.command !== undefined) out[`${at}.command`] = JSON.stringify(c.command)
    if (c.mounts !== undefined) out[`${at}.mounts`] = JSON.stringify(c.mounts.map((m) => ({ ...m, source: path.resolve(baseDir, m.source) })))
    for (const [k, v] of Object.entries(c.env ?? {})) out[`${at}.env.${k}`] = v
  }
  for (const p of processes) {
    const at = `processes.${p.name}`
    out[`${at}.command`] = JSON.stringify(p.command)
    out[`${at}.cwd`] = path.resolve(baseDir, p.cwd ?? '.')
    out[`${at}.ready.url`] = p.ready.url
    for (const [k, v] of Object.entries(p.env ?? {})) out[`${at}.env.${k}`] = v
  }
  return out
}

export function fingerprint(settings: Record<string, string>): Fingerprint {
  const salt = randomBytes(16).toString('base64url')
  return { salt, hashes: Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, hashOf(salt, k, v)])) }
}

/** The setting keys whose values differ, or that only one side has (sorted; never a value). */
export function differingSettings(print: Fingerprint, settings: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(print.hashes), ...Object.keys(settings)])
  return [...keys].filter((k) => settings[k] === undefined || print.hashes[k] !== hashOf(print.salt, k, settings[k])).sort()
}
