/**
 * The chaos scenarios at full length (scenarios/chaos-*.ts, each under a minute of load): each
 * passes on the correct reference target and fails (exit 99) on its fail-open flaw, the failing gate
 * naming the fault window and the case that got through (or went unrecorded). Tests in a file run one at a time: on
 * a 2-core machine two targets at once starve each other's replay-store checks.
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, scratchDir } from '../helpers/cli.ts'

interface Family {
  scenario: string
  /** every fault family the scenario covers, as window labels */
  windows: string[]
  flaw: string
  /** the gate the flaw must fail, and a case it must name */
  gate: string
  caseId: RegExp
}

const FAMILIES: Family[] = [
  { scenario: 'chaos-network', windows: ['latency jwks 5s–15s', 'reset rs-1 20s–25s', 'bandwidth evidence-sink 30s–38s', 'slow-close replay-store 39s–43s'], flaw: 'jwks-fail-open', gate: 'gatecrash_breaches{fault:latency jwks 5s–15s}', caseId: /^escalate\.forged-jwt\.unknown-kid$/ },
  { scenario: 'chaos-process', windows: ['pause replay-store 5s–13s', 'kill rs-1/0 20s–25s'], flaw: 'replay-store-fail-open', gate: 'gatecrash_breaches{fault:pause replay-store 5s–13s}', caseId: /^replay\.dpop-jti-reuse$/ },
  { scenario: 'chaos-clock', windows: ['clock-skew agents 5s–15s', 'clock-skew agents 20s–28s'], flaw: 'dpop-iat-unchecked', gate: 'gatecrash_breaches{fault:clock-skew agents 5s–15s}', caseId: /^replay\.dpop-iat-window\./ },
  { scenario: 'chaos-keys', windows: ['key-rotation as 5s–13s', 'blackhole jwks 20s–28s'], flaw: 'jwks-fail-open', gate: 'gatecrash_breaches{fault:blackhole jwks 20s–28s}', caseId: /^escalate\.forged-jwt\.unknown-kid$/ },
  { scenario: 'chaos-jwks', windows: ['reset jwks 5s–13s', 'blackhole jwks 18s–26s'], flaw: 'jwks-fail-open', gate: 'gatecrash_breaches{fault:blackhole jwks 18s–26s}', caseId: /^escalate\.forged-jwt\.unknown-kid$/ },
  { scenario: 'chaos-replay-store', windows: ['blackhole replay-store 5s–13s', 'latency replay-store 18s–24s'], flaw: 'replay-store-fail-open', gate: 'gatecrash_breaches{fault:blackhole replay-store 5s–13s}', caseId: /^replay\.dpop-jti-reuse$/ },
  { scenario: 'chaos-evidence-sink', windows: ['reset evidence-sink 5s–13s', 'latency evidence-sink 18s–24s'], flaw: 'evidence-drop-when-sink-down', gate: 'gatecrash_evidence_complete{fault:reset evidence-sink 5s–13s}', caseId: /^(escalate\.tool-scope|unattributed\.no-credential|replay\.dpop-jti-reuse)$/ },
]

describe('chaos scenarios at full length', () => {
  for (const f of FAMILIES) {
    it(`${f.scenario}: correct target ready, every window injected, healed and held`, async () => {
      const out = path.join(await scratchDir(), `${f.scenario}-ok`)
      const r = await runCli(['run', `scenarios/${f.scenario}.ts`, '--out', out], { outDir: out, timeoutMs: 240_000 })
      expect(r.code, r.stdout + r.stderr.slice(-3000)).toBe(0)
      expect(r.runJson.faults.map((x: any) => x.label)).toEqual(f.windows)
      for (const x of r.runJson.faults) {
        expect([x.label, x.healed, x.error]).toEqual([x.label, true, null])
        expect(x.during.breaches, x.label).toBe(0)
        expect(x.during.unrecorded, x.label).toBe(0)
      }
      expect(r.runJson.gates.filter((g: any) => g.window).every((g: any) => g.ok)).toBe(true)
      if (f.scenario === 'chaos-clock') expect(r.runJson.faults[1].during.legit_success, 'a 30 s skew is within the iat window').toBe(1)
    }, 260_000)

    it(`${f.scenario} with ${f.flaw}: exit 99 naming the window and the case`, async () => {
      const out = path.join(await scratchDir(), `${f.scenario}-${f.flaw}`)
      const r = await runCli(['run', `scenarios/${f.scenario}.ts`, '--flaw', f.flaw, '--out', out], { outDir: out, timeoutMs: 240_000 })
      expect(r.code, r.stdout + r.stderr.slice(-3000)).toBe(99)
      const gate = r.runJson.gates.find((g: any) => g.metric === f.gate)
      expect(gate, JSON.stringify(r.runJson.gates.filter((g: any) => !g.ok))).toBeDefined()
      expect(gate.ok).toBe(false)
      expect(gate.cases.some((c: string) => f.caseId.test(c)), gate.cases.join(', ')).toBe(true)
      expect(r.stdout).toContain(f.gate)
    }, 260_000)
  }
})

/** Process state from /proc (T: stopped), null when the process is gone or a zombie. */
async function procState(pid: number): Promise<string | null> {
  const { readFile } = await import('node:fs/promises')
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null)
  if (stat === null) return null
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
  return state === 'Z' ? null : state
}

const LONG_PAUSE = `import { defineScenario, Fault } from 'gatecrash'
export default defineScenario({
  name: 'chaos-interrupted',
  seed: 3,
  population: { tenants: 2, agents: 8 },
  scenarios: { workload: { executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', duration: '40s', preAllocatedVUs: 8 } },
  faults: [Fault.pause({ component: 'replay-store', at: '1s', for: '30s' }), Fault.latency({ component: 'jwks', ms: 100, at: '1s', for: '30s' })],
  evidence: { settle: '1s' },
})
`

describe('faults never outlive the harness', () => {
  it('SIGTERM mid-window: faults healed at once, run directory written, exit 105', async () => {
    const { spawn } = await import('node:child_process')
    const { writeScenario } = await import('../helpers/cli.ts')
    const dir = await scratchDir()
    const file = await writeScenario(dir, 'interrupted.ts', LONG_PAUSE)
    const out = path.join(dir, 'out')
    const child = spawn(process.execPath, ['bin/gatecrash.js', 'run', file, '--out', out], { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stdout.resume()
    child.stderr.on('data', (d) => {
      stderr += d
      if (/fault f1 .*: injecting/.test(stderr) && /fault f2 .*: injecting/.test(stderr) && !child.killed) setTimeout(() => child.kill('SIGTERM'), 1_000)
    })
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect(code, stderr.slice(-3000)).toBe(105)
    expect(stderr).toMatch(/fault f1 pause replay-store 1s–31s: healed after [0-9.]+ s/)
    const { readdir, readFile } = await import('node:fs/promises')
    const [runId] = await readdir(out)
    const run = JSON.parse(await readFile(path.join(out, runId, 'run.json'), 'utf8'))
    for (const f of run.faults) {
      expect(f.healed, f.label).toBe(true)
      expect(Date.parse(f.end) - Date.parse(f.start), f.label).toBeLessThan(15_000)
    }
  }, 120_000)

  it('SIGKILL mid-pause: the paused target process is left stopped, and the next start resumes and removes it', async () => {
    const { spawn } = await import('node:child_process')
    const { readdir, readFile } = await import('node:fs/promises')
    const { writeScenario } = await import('../helpers/cli.ts')
    const dir = await scratchDir()
    const file = await writeScenario(dir, 'killed.ts', LONG_PAUSE)
    const child = spawn(process.execPath, ['bin/gatecrash.js', 'run', file, '--out', path.join(dir, 'out')], { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stdout.resume()
    const injected = new Promise<void>((resolve) => child.stderr.on('data', (d) => {
      stderr += d
      if (/fault f1 .*: injecting/.test(stderr)) resolve()
    }))
    await injected
    await new Promise((r) => setTimeout(r, 1_500))
    const state = path.join('.gatecrash', 'target-pids')
    const mine = (await readdir(state)).find((n) => n.startsWith(`${child.pid}-`))
    expect(mine, 'the run records its target pids').toBeDefined()
    const pids: number[] = JSON.parse(await readFile(path.join(state, mine!), 'utf8')).pids.map((p: { pid: number }) => p.pid)
    child.kill('SIGKILL')
    await new Promise((resolve) => child.on('close', resolve))
    await new Promise((r) => setTimeout(r, 2_000)) // the unpaused components see their parent gone and exit
    const stopped: number[] = []
    for (const pid of pids) if ((await procState(pid)) === 'T') stopped.push(pid)
    expect(stopped.length, 'the paused replay store is still stopped').toBe(1)

    // the next start of the harness cleans up
    const next = await writeScenario(dir, 'next.ts', LONG_PAUSE.replace("duration: '40s'", "duration: '1s'").replace(/faults: \[.*\],/, ''))
    const r = await runCli(['run', next, '--out', path.join(dir, 'next')], { outDir: path.join(dir, 'next'), timeoutMs: 120_000 })
    expect(r.code, r.stderr.slice(-2000)).toBe(0)
    expect(r.stderr).toMatch(new RegExp(`cleaned up after a harness that was killed \\(pid ${child.pid}\\)`))
    for (const pid of pids) expect(await procState(pid), `pid ${pid}`).toBeNull()
    expect((await readdir(state)).some((n) => n.startsWith(`${child.pid}-`))).toBe(false)
  }, 180_000)
})
