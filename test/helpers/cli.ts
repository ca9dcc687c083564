/**
 * Playwright's runInlineTest, for gatecrash: write scenario files into a scratch folder inside the
 * repo (so `import 'gatecrash'` resolves), spawn the real CLI, and hand back exit code, output and
 * the parsed run.json.
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  runDir: string | null
  runJson: any
}

export async function scratchDir(): Promise<string> {
  await mkdir('.tmp', { recursive: true })
  return mkdtemp(path.resolve('.tmp', 'e2e-'))
}

export async function writeScenario(dir: string, name: string, body: string): Promise<string> {
  const file = path.join(dir, name)
  await writeFile(file, body)
  return file
}

/** `when`: calls `run` once, the first time the run's stderr matches `pattern` (e.g. to take a backend away mid-run) */
export async function runCli(args: string[], opts: { timeoutMs?: number; outDir?: string; interruptWhen?: RegExp; env?: Record<string, string>; when?: { pattern: RegExp; run: () => void } } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['bin/gatecrash.js', ...args], { env: { ...process.env, CI: 'true', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => {
    stderr += d
    // Like a user pressing Ctrl-C once the run has reached a given point.
    if (opts.interruptWhen && opts.interruptWhen.test(stderr)) {
      opts.interruptWhen = undefined
      child.kill('SIGINT')
    }
    if (opts.when && opts.when.pattern.test(stderr)) {
      const { run } = opts.when
      opts.when = undefined
      run()
    }
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 150_000)
  const code: number | null = await new Promise((resolve) => child.on('close', (c) => resolve(c)))
  clearTimeout(timer)
  let runDir: string | null = null
  let runJson: any = null
  if (opts.outDir) {
    // a run started a deployment: its logs folder (<run-id>.logs) sits beside the run directory
    const entries = (await readdir(opts.outDir).catch(() => [] as string[])).filter((e) => !e.endsWith('.logs'))
    if (entries.length > 0) {
      runDir = path.join(opts.outDir, entries.sort().at(-1)!)
      runJson = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8').catch(() => 'null'))
    }
  }
  return { code, stdout, stderr, runDir, runJson }
}

/** A short scenario for end-to-end tests: small population, a few seconds of load. */
export function shortScenario(extra = ''): string {
  return `import { defineScenario } from 'gatecrash'
export default defineScenario({
  name: 'e2e-short',
  seed: 7,
  population: { tenants: 3, agents: 24, subAgentsPerAgent: 1, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 60, timeUnit: '1s', duration: '4s', preAllocatedVUs: 16 },
  },
  attacks: { share: 0.3, cases: ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'unattributed.no-credential'] },
  thresholds: {
    gatecrash_breaches: ['count==0'],
    'gatecrash_warns{case:replay.dpop-jti-reuse}': ['count==0'],
  },
  evidence: { settle: '1s' },
  ${extra}
})
`
}
