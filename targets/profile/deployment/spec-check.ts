/**
 * Checks a profile's `deployment` section before anything starts, in the style of
 * harness/scenario/schema-check.ts: an unknown key, a wrong type or a missing key is
 * ERR_PROFILE_INVALID naming the file and the dotted key (`deployment.processes.0.ready.url`) with
 * what is allowed there; a ready URL off this machine is ERR_TARGET_UNSAFE (gatecrash talks to
 * loopback only).
 *
 * @example
 * const spec = checkDeploymentSpec(profile.deployment, { file: 'profiles/my-as.json' })
 */
import { parseDuration } from '../../../harness/contracts/duration.ts'
import { ProfileInvalid, TargetUnsafe } from '../../../harness/contracts/errors.ts'
import { assertLoopback } from '../../../harness/protocol/http.ts'
import { COMPONENT_NAME, ENV_NAME, type DeploymentSpec } from './spec.ts'

interface Where {
  file: string
  key: string
}

type Check = (value: unknown, at: Where) => void

function fail(at: Where, problem: string, allowed: string): never {
  throw new ProfileInvalid(`${at.file}: \`${at.key}\` ${problem}`, { file: at.file, key: at.key, hint: `allowed: ${allowed}` })
}

const child = (at: Where, key: string | number): Where => ({ file: at.file, key: `${at.key}.${key}` })

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`
}

function str(describe = 'a non-empty string', pattern?: RegExp): Check {
  return (v, at) => {
    if (typeof v !== 'string' || v === '') fail(at, `is ${v === '' ? 'empty' : typeName(v)}`, describe)
    if (pattern && !pattern.test(v)) fail(at, `is ${JSON.stringify(v)}`, describe)
  }
}

function bool(): Check {
  return (v, at) => {
    if (typeof v !== 'boolean') fail(at, `is ${typeName(v)}`, 'true or false')
  }
}

function duration(): Check {
  const allowed = "a k6 duration above 0 and up to 1h, such as '60s', '1m30s', '500ms'"
  return (v, at) => {
    const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : null
    if (ms === null || ms <= 0 || ms > 3_600_000) fail(at, `is ${JSON.stringify(v)}`, allowed)
  }
}

function arr(item: Check, opts: { min?: number; max: number; describe: string }): Check {
  return (v, at) => {
    if (!Array.isArray(v)) fail(at, `is ${typeName(v)}`, opts.describe)
    if (v.length < (opts.min ?? 0) || v.length > opts.max) fail(at, `has ${v.length} entries`, opts.describe)
    v.forEach((x, i) => item(x, child(at, i)))
  }
}

function env(): Check {
  const allowed = 'an object of environment variables: names like PORT or LOG_LEVEL, string values'
  return (v, at) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(at, `is ${typeName(v)}`, allowed)
    for (const [k, x] of Object.entries(v)) {
      if (!ENV_NAME.test(k)) fail(child(at, k), 'is not an environment variable name', allowed)
      // the value is never quoted: it may be a secret
      if (typeof x !== 'string') fail(child(at, k), `is ${typeName(x)}`, 'a string (quote numbers: "9100")')
    }
  }
}

/** an http(s) URL on this machine; another host is ERR_TARGET_UNSAFE */
function loopbackUrl(): Check {
  const allowed = 'an http:// or https:// URL on 127.0.0.1, [::1] or localhost, e.g. http://127.0.0.1:9100/health'
  return (v, at) => {
    str(allowed)(v, at)
    let url: URL
    try {
      url = new URL(v as string)
    } catch {
      fail(at, `is ${JSON.stringify(v)}, not a URL`, allowed)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(at, `is a ${url.protocol} URL`, allowed)
    try {
      assertLoopback(url)
    } catch (e) {
      if (!(e instanceof TargetUnsafe)) throw e
      throw new TargetUnsafe(`${at.file}: \`${at.key}\`: ${e.message}`, { cause: e, hint: `a deployment's address must be on this machine for now: ${allowed}` })
    }
  }
}

interface Field {
  check: Check
  required?: boolean
}

function obj(fields: Record<string, Field | Check>, after?: (v: Record<string, unknown>, at: Where) => void): Check {
  const norm = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, typeof f === 'function' ? { check: f } : f]))
  const allowedKeys = Object.keys(norm).join(', ')
  return (v, at) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(at, `is ${typeName(v)}`, `an object with keys ${allowedKeys}`)
    for (const key of Object.keys(v)) if (!(key in norm)) fail(child(at, key), 'is not a known key', allowedKeys)
    for (const [key, f] of Object.entries(norm)) {
      const value = (v as Record<string, unknown>)[key]
      if (value === undefined) {
        if (f.required) fail(child(at, key), 'is missing', `${allowedKeys} (this one is required)`)
        continue
      }
      f.check(value, child(at, key))
    }
    after?.(v as Record<string, unknown>, at)
  }
}

const commandCheck = (what: string): Check => arr(str('a non-empty string'), { min: 1, max: 256, describe: `${what}: an array of strings, the program first (no shell), e.g. ["node", "server.js"]` })

const name = (): Field => ({ check: str('letters, digits, _, . and - (up to 64, starting with a letter or digit): it names the log file', COMPONENT_NAME), required: true })

const processCheck = obj({
  name: name(),
  command: { check: commandCheck('the command'), required: true },
  cwd: str('a directory, relative to the profile'),
  env: env(),
  ready: { check: obj({ url: { check: loopbackUrl(), required: true } }), required: true },
  timeout: duration(),
})

const containerReady: Check = obj({ log: str('a line (substring) the container prints once it is ready'), command: commandCheck('a command run in the container') }, (v, at) => {
  const given = ['log', 'command'].filter((k) => v[k] !== undefined)
  if (given.length !== 1) fail(at, given.length === 0 ? 'says neither `log` nor `command`' : 'says both `log` and `command`', 'exactly one of { log: "<line>" } or { command: ["<program>", …] } (host networking cannot wait on HTTP)')
})

const containerCheck = obj({
  name: name(),
  dockerfile: { check: str('the path of a Dockerfile inside the build context'), required: true },
  context: { check: str('the build context directory'), required: true },
  env: env(),
  ready: { check: containerReady, required: true },
  timeout: duration(),
  url: loopbackUrl(),
})

const deploymentCheck = obj(
  {
    containers: arr(containerCheck, { max: 16, describe: 'an array of up to 16 containers' }),
    processes: arr(processCheck, { max: 32, describe: 'an array of up to 32 processes' }),
    reuseExisting: bool(),
  },
  (v, at) => {
    const all = [...((v.containers as { name: string }[] | undefined) ?? []).map((c, i) => ({ name: c.name, key: `containers.${i}` })), ...((v.processes as { name: string }[] | undefined) ?? []).map((p, i) => ({ name: p.name, key: `processes.${i}` }))]
    if (all.length === 0) fail(at, 'starts nothing', 'at least one entry in `processes` or `containers` (leave `deployment` out for a deployment you start yourself)')
    const seen = new Map<string, string>()
    for (const c of all) {
      const first = seen.get(c.name)
      if (first !== undefined) fail(child(at, `${c.key}.name`), `is '${c.name}', already the name of ${at.key}.${first}`, 'a name of its own: it names the log file and the component')
      seen.set(c.name, c.key)
    }
  },
)

/** Throws ERR_PROFILE_INVALID (or ERR_TARGET_UNSAFE) naming the dotted key; returns the spec typed. */
export function checkDeploymentSpec(value: unknown, where: { file: string; key?: string }): DeploymentSpec {
  deploymentCheck(value, { file: where.file, key: where.key ?? 'deployment' })
  return value as DeploymentSpec
}
