/**
 * A profile's `deployment` section is checked before anything starts: an unknown key, a wrong type
 * or a missing key names the file and the dotted key (ERR_PROFILE_INVALID, exit 104), and a ready
 * URL off this machine is refused (ERR_TARGET_UNSAFE, docs/architecture.md "Safety").
 */
import { describe, expect, test } from 'vitest'
import { ProfileInvalid, TargetUnsafe } from '../../../../harness/contracts/errors.ts'
import { checkDeploymentSpec } from '../../../../targets/profile/deployment/spec-check.ts'
import { exitCodeForError } from '../../../../cli/exit-codes.ts'

const FILE = 'profiles/my-as.json'
const ok = () => ({
  containers: [{ name: 'db', dockerfile: 'db/Dockerfile', context: 'db', ready: { log: 'listening' }, env: { PORT: '5433' } }],
  processes: [
    { name: 'as', command: ['node', 'as.js'], env: { PORT: '9100', MISCONFIG: 'off' }, ready: { url: 'http://127.0.0.1:9100/health' }, timeout: '30s' },
    { name: 'rs', command: ['node', 'rs.js'], cwd: 'rs', ready: { url: 'http://localhost:9200/' } },
  ],
  reuseExisting: true,
})

function refusal(value: unknown): ProfileInvalid {
  try {
    checkDeploymentSpec(value, { file: FILE })
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileInvalid)
    return e as ProfileInvalid
  }
  throw new Error('accepted')
}

describe('deployment spec check', () => {
  test('a valid deployment passes and comes back typed', () => {
    const spec = ok()
    expect(checkDeploymentSpec(spec, { file: FILE })).toBe(spec)
  })

  test('an unknown key names its dotted key and the allowed ones', () => {
    const spec = ok() as any
    spec.processes[0].ready.uri = 'x'
    const e = refusal(spec)
    expect(e.code).toBe('ERR_PROFILE_INVALID')
    expect(e.key).toBe('deployment.processes.0.ready.uri')
    expect(e.file).toBe(FILE)
    expect(e.message).toBe(`${FILE}: \`deployment.processes.0.ready.uri\` is not a known key`)
    expect(e.hint).toBe('allowed: url')
    expect(exitCodeForError(e)).toBe(104)
  })

  test('wrong types, missing keys and bad values name the key', () => {
    const cases: [(s: any) => void, string, RegExp][] = [
      [(s) => (s.processes[0].ready.url = 9100), 'deployment.processes.0.ready.url', /is a number/],
      [(s) => delete s.processes[1].ready, 'deployment.processes.1.ready', /is missing/],
      [(s) => (s.processes[0].command = 'node as.js'), 'deployment.processes.0.command', /is a string/],
      [(s) => (s.processes[0].command = []), 'deployment.processes.0.command', /has 0 entries/],
      [(s) => (s.processes[0].env.PORT = 9100), 'deployment.processes.0.env.PORT', /is a number/],
      [(s) => (s.processes[0].env['bad-name'] = 'x'), 'deployment.processes.0.env.bad-name', /not an environment variable name/],
      [(s) => (s.processes[0].timeout = 'soon'), 'deployment.processes.0.timeout', /"soon"/],
      [(s) => (s.processes[0].name = '../etc'), 'deployment.processes.0.name', /"\.\.\/etc"/],
      [(s) => (s.processes[1].name = 'db'), 'deployment.processes.1.name', /already the name of deployment.containers.0/],
      [(s) => (s.containers[0].ready = { log: 'x', command: ['true'] }), 'deployment.containers.0.ready', /both/],
      [(s) => (s.containers[0].ready = {}), 'deployment.containers.0.ready', /neither/],
      [(s) => (s.processes[0].ready.url = 'ftp://127.0.0.1/'), 'deployment.processes.0.ready.url', /ftp: URL/],
      [(s) => (s.reuseExisting = 'yes'), 'deployment.reuseExisting', /is a string/],
      [(s) => (s.containers[0].mounts = [{ source: 'data', target: 'data' }]), 'deployment.containers.0.mounts.0.target', /"data"/],
      [(s) => (s.containers[0].mounts = [{ source: 'data', target: '/data', rw: true }]), 'deployment.containers.0.mounts.0.rw', /not a known key/],
      [(s) => (s.containers[0].command = []), 'deployment.containers.0.command', /has 0 entries/],
    ]
    for (const [edit, key, problem] of cases) {
      const spec = ok()
      edit(spec)
      const e = refusal(spec)
      expect(e.key, key).toBe(key)
      expect(e.message, key).toMatch(problem)
      expect(e.hint, key).toMatch(/^allowed: /)
    }
  })

  test('an env value is never quoted in the error (it may be a secret)', () => {
    const spec = ok() as any
    spec.processes[0].env.API_KEY = { secret: 'hunter2-hunter2' }
    expect(refusal(spec).message).not.toContain('hunter2')
  })

  test('a deployment that starts nothing is refused', () => {
    expect(refusal({}).key).toBe('deployment')
    expect(refusal({ processes: [] }).message).toMatch(/starts nothing/)
  })

  test('a ready URL off this machine is ERR_TARGET_UNSAFE naming the key', () => {
    for (const url of ['http://10.0.0.8:9100/health', 'http://example.com/', 'http://[2001:db8::1]/']) {
      const spec = ok()
      spec.processes[0].ready.url = url
      let error: unknown
      try {
        checkDeploymentSpec(spec, { file: FILE })
      } catch (e) {
        error = e
      }
      expect(error, url).toBeInstanceOf(TargetUnsafe)
      expect((error as TargetUnsafe).code).toBe('ERR_TARGET_UNSAFE')
      expect((error as Error).message).toContain('`deployment.processes.0.ready.url`')
      expect(exitCodeForError(error)).toBe(104)
    }
  })
})
