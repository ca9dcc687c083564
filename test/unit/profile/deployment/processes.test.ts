/**
 * Issue 12: a profile's deployment processes start in the order given, each ready (its URL answers
 * below 500) before the next; a process that exits early or is not ready in time is ERR_TARGET_START
 * with the tail of its output, redacted, and a hint; stop() ends each whole process group (a child
 * of the child too), SIGKILL after the grace period, in reverse order, once; the run's stop signal
 * aborts a start and stops a started deployment.
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { processLive } from '../../../../harness/chaos/process-groups.ts'
import { RunAborted, TargetStartFailed } from '../../../../harness/contracts/errors.ts'
import { Redactor } from '../../../../harness/protocol/redact.ts'
import { startDeployment } from '../../../../targets/profile/deployment/index.ts'
import { gone, printedPid, redactor, scratchPerTest, web } from './fixtures.ts'

const s = scratchPerTest()
const started = s.started

const options = (extra: Partial<Parameters<typeof startDeployment>[1]> = {}) => ({ stateDir: s.stateDir, logsDir: s.logsDir, redactor: redactor(), baseDir: s.dir, stopGraceMs: 1_000, ...extra })

async function startFails(spec: Parameters<typeof startDeployment>[0], extra: Partial<Parameters<typeof startDeployment>[1]> = {}): Promise<TargetStartFailed> {
  try {
    started.push(await startDeployment(spec, options(extra)))
  } catch (e) {
    return e as TargetStartFailed
  }
  throw new Error('it started')
}

describe('deployment processes', () => {
  test('start in the order given, each ready before the next; node is the harness\'s Node; stop ends them all and leaves no state', async () => {
    const as = await web(s, 'as', { DELAY: '300' })
    // rs exits at once unless the AS answers: it only starts once the AS is ready
    const rs = await web(s, 'rs', { UPSTREAM: as.ready.url })
    const lines: string[] = []
    const d = await startDeployment({ processes: [as, rs] }, options({ log: (l) => lines.push(l) }))
    started.push(d)
    expect(d.reused).toBe(false)
    expect(d.components.map((c) => [c.name, c.url])).toEqual([['as', new URL(as.ready.url).origin], ['rs', new URL(rs.ready.url).origin]])
    const pids = d.pids()
    expect(pids).toHaveLength(2)
    expect(d.components.map((c) => c.pid)).toEqual(pids)
    for (const pid of pids) {
      expect((await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')[0]).toBe(process.execPath)
      // its own process group (detached): the Ctrl-C of a terminal does not reach it, stop() does
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
      expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])).toBe(pid)
    }
    expect(lines.join('\n')).toMatch(/as ready at .*\n.*rs ready at/)
    expect((await fetch(rs.ready.url)).status).toBe(200)
    const records = await readdir(path.join(s.stateDir, 'target-pids'))
    expect(records).toHaveLength(1)
    expect(await readdir(path.join(s.stateDir, 'deployments'))).toHaveLength(1)

    const stopping = d.stop()
    expect(d.stop()).toBe(stopping) // idempotent: one promise
    await stopping
    for (const pid of pids) expect(await gone(pid), `pid ${pid}`).toBe(true)
    // in reverse order: rs (which needs the AS) got its SIGTERM first
    const termAt = async (name: string): Promise<number> => Number(/SIGTERM at ([\d.]+)/.exec(await readFile(path.join(s.logsDir, `${name}.log`), 'utf8'))?.[1])
    expect(await termAt('rs')).toBeLessThan(await termAt('as'))
    expect(await readdir(path.join(s.stateDir, 'target-pids'))).toEqual([])
    expect(await readdir(path.join(s.stateDir, 'deployments'))).toEqual([])
  })

  test('a process that exits early: ERR_TARGET_START with the tail of its output, its secret redacted, and what ran before it stopped', async () => {
    const secret = 'iat-5e3c9b1f0a7d42c6'
    const first = await web(s, 'first')
    const bad = await web(s, 'bad', { PRINT: `booting with initial access token ${secret}`, EXIT_EARLY: `cannot reach the database (token ${secret})` })
    const r = new Redactor().register(secret)
    const e = await startFails({ processes: [first, bad] }, { redactor: r })
    expect(e).toBeInstanceOf(TargetStartFailed)
    expect(e.code).toBe('ERR_TARGET_START')
    expect(e.message).toContain('bad did not start: exited early (exit code 3)')
    expect(e.message).toContain('booting with initial access token [redacted secret]')
    expect(e.message).toContain('fatal: cannot reach the database (token [redacted secret])')
    expect(e.message).not.toContain(secret)
    expect(e.hint).toContain(path.join(s.logsDir, 'bad.log'))
    // the one that had started is stopped again
    expect(await fetch(first.ready.url).then(() => 'answers', () => 'gone')).toBe('gone')
    expect(await readdir(path.join(s.stateDir, 'target-pids'))).toEqual([])
  })

  test('a program that is not installed: ERR_TARGET_START naming PATH and the shell', async () => {
    const spec = await web(s, 'missing', {}, { command: ['gatecrash-no-such-program', '--serve'] })
    const e = await startFails({ processes: [spec] })
    expect(e.code).toBe('ERR_TARGET_START')
    expect(e.message).toMatch(/could not be started: spawn gatecrash-no-such-program ENOENT/)
    expect(e.hint).toMatch(/PATH.*without a shell/)
  })

  test('not ready within its timeout: ERR_TARGET_START naming the URL and the timeout; the process is stopped', async () => {
    const slow = await web(s, 'slow', { DELAY: 'never', PRINT: 'warming up' }, { timeout: '1s' })
    const began = Date.now()
    const e = await startFails({ processes: [slow] })
    expect(Date.now() - began).toBeLessThan(8_000)
    expect(e.code).toBe('ERR_TARGET_START')
    expect(e.message).toContain(`${slow.ready.url} did not answer within 1 s`)
    expect(e.message).toContain('warming up')
    expect(e.hint).toContain('(1s)')
    const log = await readFile(path.join(s.logsDir, 'slow.log'), 'utf8')
    expect(log).toContain('warming up')
  })

  test('stop ends the whole group: a child of the child too, and SIGKILL for what ignores SIGTERM', async () => {
    const spec = await web(s, 'stubborn', { GRANDCHILD: '1', IGNORE_TERM: '1' })
    const d = await startDeployment({ processes: [spec] }, options({ stopGraceMs: 500 }))
    started.push(d)
    const [leader] = d.pids()
    const grandchild = await printedPid(path.join(s.logsDir, 'stubborn.log'), 'grandchild')
    expect(processLive(grandchild)).toBe(true)
    const began = Date.now()
    await d.stop()
    expect(Date.now() - began).toBeGreaterThanOrEqual(450) // it waited out the grace period
    expect(await gone(leader)).toBe(true)
    expect(await gone(grandchild)).toBe(true)
    const log = await readFile(path.join(s.logsDir, 'stubborn.log'), 'utf8')
    expect(log).toContain('ignoring SIGTERM')
    expect(log).toMatch(/still running 1 s after SIGTERM: SIGKILL|still running 0 s after SIGTERM: SIGKILL/)
  })

  test('the run\'s stop signal: during the start it aborts (ERR_RUN_ABORTED) and stops what started; afterwards it stops the deployment', async () => {
    const ready = await web(s, 'ready')
    const waiting = await web(s, 'waiting', { DELAY: 'never' })
    const ctl = new AbortController()
    setTimeout(() => ctl.abort(), 800)
    let error: unknown
    await startDeployment({ processes: [ready, waiting] }, options({ stop: ctl.signal })).catch((e) => (error = e))
    expect(error).toBeInstanceOf(RunAborted)
    expect((error as RunAborted).code).toBe('ERR_RUN_ABORTED')
    expect(await fetch(ready.ready.url).then(() => 'answers', () => 'gone')).toBe('gone')

    const later = new AbortController()
    const d = await startDeployment({ processes: [await web(s, 'web')] }, options({ stop: later.signal }))
    started.push(d)
    const [pid] = d.pids()
    later.abort() // the first Ctrl-C
    await d.stop() // what the caller awaits on its own stop path: the same stop
    expect(await gone(pid)).toBe(true)
  })
})
