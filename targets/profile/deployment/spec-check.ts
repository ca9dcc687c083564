/**
 * Checks a profile's `deployment` section before anything starts, with the checker scenarios
 * and profiles share (harness/config/schema-check.ts): an unknown key, a wrong type or a missing key is
 * ERR_PROFILE_INVALID naming the file and the dotted key (`deployment.processes.0.ready.url`) with
 * what is allowed there; a ready URL off this machine is ERR_TARGET_UNSAFE (gatecrash talks to
 * loopback only).
 *
 * @example
 * const spec = checkDeploymentSpec(profile.deployment, { file: 'profiles/my-as.json' })
 */
import { TargetUnsafe } from '../../../harness/contracts/errors.ts'
import { arr, bool, child, duration, fail, obj, str, typeName, type Check, type Field } from '../../../harness/config/schema-check.ts'
import { assertLoopback } from '../../../harness/protocol/http.ts'
import { COMPONENT_NAME, ENV_NAME, type DeploymentSpec } from './spec.ts'

const nonEmpty = (describe: string): Check => str({ nonEmpty: true, describe })

const timeout = duration({ maxMs: 3_600_000, allowed: "a k6 duration above 0 and up to 1h, such as '60s', '1m30s', '500ms'" })

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
    nonEmpty(allowed)(v, at)
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

const commandCheck = (what: string): Check => arr(nonEmpty('a non-empty string'), { minLength: 1, maxLength: 256, describe: `${what}: an array of strings, the program first (no shell), e.g. ["node", "server.js"]` })

const name = (): Field => ({ check: str({ pattern: COMPONENT_NAME, describe: 'letters, digits, _, . and - (up to 64, starting with a letter or digit): it names the log file' }), required: true })

const processCheck = obj({
  name: name(),
  command: { check: commandCheck('the command'), required: true },
  cwd: nonEmpty('a directory, relative to the profile'),
  env: env(),
  ready: { check: obj({ url: { check: loopbackUrl(), required: true } }), required: true },
  timeout,
})

const containerReady: Check = obj({ log: nonEmpty('a line (substring) the container prints once it is ready'), command: commandCheck('a command run in the container') }, (v, at) => {
  const given = ['log', 'command'].filter((k) => v[k] !== undefined)
  if (given.length !== 1) fail(at, given.length === 0 ? 'says neither `log` nor `command`' : 'says both `log` and `command`', 'exactly one of { log: "<line>" } or { command: ["<program>", …] } (host networking cannot wait on HTTP)')
})

const mountCheck = obj({
  source: { check: nonEmpty('a folder of this machine, relative to the profile'), required: true },
  target: { check: str({ pattern: /^\/[^\0]*$/, describe: 'an absolute path in the container, e.g. /data' }), required: true },
  readOnly: bool(),
})

const containerCheck = obj({
  name: name(),
  dockerfile: { check: nonEmpty('the path of a Dockerfile inside the build context'), required: true },
  context: { check: nonEmpty('the build context directory'), required: true },
  command: commandCheck('the command in place of the image\'s CMD'),
  env: env(),
  mounts: arr(mountCheck, { maxLength: 16, describe: 'an array of up to 16 { source, target, readOnly? }' }),
  ready: { check: containerReady, required: true },
  timeout,
  url: loopbackUrl(),
})

const deploymentCheck = obj(
  {
    containers: arr(containerCheck, { maxLength: 16, describe: 'an array of up to 16 containers' }),
    processes: arr(processCheck, { maxLength: 32, describe: 'an array of up to 32 processes' }),
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
  deploymentCheck(value, { file: where.file, key: where.key ?? 'deployment', subject: 'target profile' })
  return value as DeploymentSpec
}
