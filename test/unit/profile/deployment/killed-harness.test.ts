/**
 * Issue 12: a harness killed outright (SIGKILL) cannot stop the deployment it started, which runs
 * detached in its own process groups and would run for good. It leaves its record in the state dir;
 * the next start stops those groups (a child of a child too), forgets the running-deployment entry
 * (so nobody reuses it) and starts its own.
 */
import { spawn } from 'node:child_process'
import { readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { processLive } from '../../../../harness/chaos/process-groups.ts'
import { startDeployment } from '../../../../targets/profile/deployment/index.ts'
import { gone, printedPid, redactor, scratchPerTest, web } from './fixtures.ts'

const LIBRARY = fileURLToPath(new URL('../../../../targets/profile/deployment/index.ts', import.meta.url))
const REDACT = fileURLToPath(new URL('../../../../harness/protocol/redact.ts', import.meta.url))

const s = scratchPerTest()
const started = s.started

/** A harness (its own Node process) that starts the deployment, prints its pids, and waits to be killed. */
async function harnessThatStarts(spec: unknown): Promise<{ pid: number; pids: number[] }> {
  const script = path.join(s.dir, 'harness.ts')
  await writeFile(
    script,
    `import { startDeployment } from ${JSON.stringify(LIBRARY)}
import { Redactor } from ${JSON.stringify(REDACT)}
const d = await startDeployment(${JSON.stringify(spec)}, { stateDir: ${JSON.stringify(s.stateDir)}, logsDir: ${JSON.stringify(s.logsDir)}, redactor: new Redactor(), baseDir: ${JSON.stringify(s.dir)} })
console.log(JSON.stringify(d.pids()))
setInterval(() => {}, 1000)
`,
  )
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (c: Buffer) => resolve(c.toString()))
    child.once('exit', (code) => reject(new Error(`the harness exited ${code}: ${err}`)))
  })
  return { pid: child.pid!, pids: JSON.parse(line) as number[] }
}

describe('after a harness killed outright', () => {
  test('its deployment keeps running, its record stays; the next start stops it whole and starts its own', async () => {
    const spec = { processes: [await web(s, 'web', { GRANDCHILD: '1' })] }
    const harness = await harnessThatStarts(spec)
    const [leader] = harness.pids
    const grandchild = await printedPid(path.join(s.logsDir, 'web.log'), 'grandchild')
    process.kill(harness.pid, 'SIGKILL')
    expect(await gone(harness.pid)).toBe(true)
    // nothing stopped it: it runs on, detached, and the state dir says so
    await new Promise((r) => setTimeout(r, 300))
    expect(processLive(leader)).toBe(true)
    expect(processLive(grandchild)).toBe(true)
    expect((await readdir(path.join(s.stateDir, 'target-pids'))).filter((n) => n.startsWith(`${harness.pid}-`))).toHaveLength(1)
    expect((await readdir(path.join(s.stateDir, 'deployments'))).filter((n) => n.startsWith(`${harness.pid}-`))).toHaveLength(1)

    // the next start: the same settings, but the owner is gone, so no reuse: cleaned up and started anew
    const lines: string[] = []
    const d = await startDeployment(spec as never, { stateDir: s.stateDir, logsDir: `${s.logsDir}-2`, redactor: redactor(), baseDir: s.dir, log: (l) => lines.push(l) })
    started.push(d)
    expect(d.reused).toBe(false)
    expect(await gone(leader)).toBe(true)
    expect(await gone(grandchild)).toBe(true)
    expect(d.pids()[0]).not.toBe(leader)
    expect(lines.join('\n')).toContain(`cleaned up after a harness that was killed (pid ${harness.pid})`)
    expect((await readdir(path.join(s.stateDir, 'target-pids'))).filter((n) => n.startsWith(`${harness.pid}-`))).toEqual([])
    expect((await readdir(path.join(s.stateDir, 'deployments'))).filter((n) => n.startsWith(`${harness.pid}-`))).toEqual([])
  })
})
