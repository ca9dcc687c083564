/**
 * Issue 12, reuse (Playwright's reuseExistingServer): a deployment that already answers is reused
 * only when gatecrash started it with the same settings and still runs it; a reused deployment is
 * not stopped by the run that reused it. Other settings (another misconfiguration switch in env)
 * are refused naming the key that differs, never its value; the state dir keeps hashes only.
 */
import { createServer, type Server } from 'node:http'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { TargetStartFailed } from '../../../../harness/contracts/errors.ts'
import { startDeployment, type StartedDeployment } from '../../../../targets/profile/deployment/index.ts'
import { freePort, redactor, scratchPerTest, web } from './fixtures.ts'

const s = scratchPerTest()
const started = s.started

const options = (logs = s.logsDir) => ({ stateDir: s.stateDir, logsDir: logs, redactor: redactor(), baseDir: s.dir, stopGraceMs: 1_000 })
const answers = (url: string): Promise<boolean> => fetch(url).then((r) => r.status < 500, () => false)

async function refusal(p: Promise<StartedDeployment>): Promise<TargetStartFailed> {
  try {
    started.push(await p)
  } catch (e) {
    expect(e).toBeInstanceOf(TargetStartFailed)
    return e as TargetStartFailed
  }
  throw new Error('it started')
}

describe('reusing a running deployment', () => {
  test('same settings: reused (no new process, nothing logged), and not stopped by the run that reused it', async () => {
    const spec = await web(s, 'web', { MISCONFIG: 'off' })
    const owner = await startDeployment({ processes: [spec] }, options())
    started.push(owner)
    const lines: string[] = []
    const second = await startDeployment({ processes: [spec] }, { ...options(path.join(s.dir, 'second.logs')), log: (l) => lines.push(l) })
    expect(second.reused).toBe(true)
    expect(second.pids()).toEqual([])
    expect(second.components.map((c) => [c.name, c.url, c.pid])).toEqual([['web', new URL(spec.ready.url).origin, undefined]])
    expect(lines.join('\n')).toMatch(new RegExp(`reusing the one gatecrash pid ${process.pid} started .* with the same settings; this run will not stop it`))
    await second.stop()
    await second[Symbol.asyncDispose]()
    expect(await answers(spec.ready.url)).toBe(true)
    await owner.stop()
    expect(await answers(spec.ready.url)).toBe(false)
  })

  test('another value of an env switch: refused naming the key, never the value; the state dir keeps no value in clear', async () => {
    const apiKey = 'api-key-4f1e2d3c4b5a69788796'
    const spec = await web(s, 'web', { MISCONFIG: 'off', API_KEY: apiKey })
    started.push(await startDeployment({ processes: [spec] }, options()))
    const [entry] = await readdir(path.join(s.stateDir, 'deployments'))
    const stored = await readFile(path.join(s.stateDir, 'deployments', entry), 'utf8')
    expect(stored).not.toContain(apiKey)
    expect(stored).not.toContain('/health') // settings are hashes: only the origins are in clear
    expect(stored).toContain('processes.web.env.API_KEY')

    const switched = { ...spec, env: { ...spec.env, MISCONFIG: 'accept-any-audience-7d1c' } }
    const e = await refusal(startDeployment({ processes: [switched] }, options(path.join(s.dir, 'second.logs'))))
    expect(e.code).toBe('ERR_TARGET_START')
    expect(e.message).toBe(`deployment: a deployment already answers at ${spec.ready.url} but was started with other settings (processes.web.env.MISCONFIG differs)`)
    expect(e.message + e.hint).not.toContain('accept-any-audience-7d1c')
    expect(e.hint).toContain(`stop it (gatecrash pid ${process.pid} started it`)
    expect(e.hint).toContain('reuseExisting: false')
    // still running, untouched
    expect(await answers(spec.ready.url)).toBe(true)

    const moreKeys = { ...spec, env: { PORT: spec.env!.PORT, EXTRA: '1' }, command: ['node', s.server, '--flag'] }
    const e2 = await refusal(startDeployment({ processes: [moreKeys] }, options(path.join(s.dir, 'third.logs'))))
    expect(e2.message).toContain('(processes.web.command, processes.web.env.API_KEY, processes.web.env.EXTRA, processes.web.env.MISCONFIG differ)')
  })

  test('something gatecrash did not start answers there: refused with a hint', async () => {
    const port = await freePort()
    const server: Server = createServer((_, res) => res.end('mine'))
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
    try {
      const spec = await web(s, 'web', { PORT: String(port) })
      const e = await refusal(startDeployment({ processes: [spec] }, options()))
      expect(e.message).toContain(`something already answers at ${spec.ready.url}, but no running gatecrash started it`)
      expect(e.hint).toMatch(/stop what runs at http:\/\/127\.0\.0\.1:\d+/)
    } finally {
      server.close()
    }
  })

  test('reuseExisting: false never reuses, even with the same settings', async () => {
    const spec = await web(s, 'web')
    started.push(await startDeployment({ processes: [spec] }, options()))
    const e = await refusal(startDeployment({ processes: [spec], reuseExisting: false }, options(path.join(s.dir, 'second.logs'))))
    expect(e.message).toContain('reuseExisting: false')
  })
})
