/**
 * Issue 12, logs: each process's stdout and stderr go line by line through the run's redactor into
 * `runs/<run-id>.logs/<name>.log`, BESIDE the run directory (a board receives the run directory),
 * folder 0700, files 0600. A third-party AS may log the run's secrets in any encoding: the initial
 * access token plain, base64url, base64 and URL-encoded, and a private JWK's `d`.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { Redactor } from '../../../../harness/protocol/redact.ts'
import { logsDirFor, startDeployment } from '../../../../targets/profile/deployment/index.ts'
import { ComponentLog } from '../../../../targets/profile/deployment/log-sink.ts'
import { scratchPerTest, web } from './fixtures.ts'

const s = scratchPerTest()

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777

describe('deployment logs', () => {
  test('beside the run directory, 0700 / 0600, every line redacted: a secret in four encodings, a JWK d, a JWT', async () => {
    const iat = 'iat+8Hq2/z7Kp0Wm=Xv4 tail'
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudC0xIn0.c2lnbmF0dXJlLXZhbHVl'
    const redactor = new Redactor().register(iat).registerJwk(jwk)
    const leaks = {
      plain: iat,
      base64url: Buffer.from(iat).toString('base64url'),
      base64: Buffer.from(iat).toString('base64'),
      urlencoded: encodeURIComponent(iat),
      jwkD: jwk.d!,
    }
    // a fixture that logs all of it: on stdout, and on stderr as a request log would
    const leaky = path.join(s.dir, 'leaky.mjs')
    await writeFile(
      leaky,
      `import http from 'node:http'
const leaks = ${JSON.stringify(leaks)}
for (const [k, v] of Object.entries(leaks)) console.log('registration ' + k + ': ' + v)
console.error('POST /token client_assertion=${jwt}&x=1')
console.error('Authorization: DPoP ${jwt}')
process.stdout.write('a last line without a newline ' + leaks.plain)
http.createServer((q, r) => r.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')
`,
    )
    await mkdir(s.runDir, { recursive: true })
    const logsDir = logsDirFor(s.runDir)
    expect(logsDir).toBe(`${s.runDir}.logs`)
    const spec = await web(s, 'third-party-as', {}, { command: ['node', leaky] })
    const d = await startDeployment({ processes: [spec] }, { stateDir: s.stateDir, logsDir, redactor, baseDir: s.dir })
    await d.stop()

    expect(await readdir(s.runDir)).toEqual([]) // nothing inside the run directory
    expect(path.dirname(logsDir)).toBe(path.dirname(s.runDir))
    expect(await mode(logsDir)).toBe(0o700)
    const file = path.join(logsDir, 'third-party-as.log')
    expect(await mode(file)).toBe(0o600)
    const log = await readFile(file, 'utf8')
    for (const [name, value] of Object.entries(leaks)) {
      expect(log, name).not.toContain(value)
      expect(log, name).toContain(`registration ${name}: [redacted secret]`)
    }
    expect(log).not.toContain(jwt)
    expect(log).toContain('POST /token client_assertion=[redacted token]&x=1')
    expect(log).toContain('Authorization: DPoP [redacted token]')
    expect(log).toContain('a last line without a newline [redacted secret]')
  })

  test('an existing log folder and file get their modes back; a symlink in a log file\'s place is refused', async () => {
    const logsDir = path.join(s.dir, 'x.logs')
    await mkdir(logsDir, { recursive: true, mode: 0o755 })
    await writeFile(path.join(logsDir, 'web.log'), 'before\n', { mode: 0o644 })
    const log = await ComponentLog.open(logsDir, 'web', new Redactor())
    log.write('after')
    await log.close()
    expect(await mode(logsDir)).toBe(0o700)
    expect(await mode(path.join(logsDir, 'web.log'))).toBe(0o600)
    expect(await readFile(path.join(logsDir, 'web.log'), 'utf8')).toBe('before\nafter\n')

    const { symlink } = await import('node:fs/promises')
    await symlink(path.join(s.dir, 'elsewhere.txt'), path.join(logsDir, 'evil.log'))
    await expect(ComponentLog.open(logsDir, 'evil', new Redactor())).rejects.toThrow(/ELOOP/)
  })
})
