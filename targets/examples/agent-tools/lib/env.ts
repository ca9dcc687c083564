/** Reading the example's configuration from the environment: loopback-only ports and URLs. */
import { readFileSync } from 'node:fs'

export function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name]
  if (v === undefined || v === '') throw new Error(`${name} is required`)
  return v
}

export function optional(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const v = env[name]
  return v === undefined || v === '' ? fallback : v
}

/** A TCP port (0 = any free port). */
export function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}: not a port: ${raw}`)
  return n
}

export function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: not a number of seconds: ${raw}`)
  return n
}

/** The example binds to loopback only; it is a test target, never a service. */
export const HOST = '127.0.0.1'

/** An http(s) URL without query or fragment, trailing slash removed. */
export function baseUrl(value: string, name: string): string {
  let u: URL
  try {
    u = new URL(value)
  } catch {
    throw new Error(`${name}: not a URL: ${value}`)
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.search !== '' || u.hash !== '') throw new Error(`${name}: must be an http(s) URL without query or fragment: ${value}`)
  return u.href.replace(/\/$/, '')
}

/** A JSON value from an env var, or from the file an `…_FILE` variant names. */
export function jsonFromEnv(env: NodeJS.ProcessEnv, name: string): unknown {
  const inline = env[name]
  const file = env[`${name}_FILE`]
  if (inline !== undefined && inline !== '') return JSON.parse(inline)
  if (file !== undefined && file !== '') return JSON.parse(readFileSync(file, 'utf8'))
  return undefined
}
