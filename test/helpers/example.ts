/**
 * The agent-tools example (targets/examples/agent-tools/) run through its target profile by the CLI,
 * on a free block of ports and a data folder of its own, so tests can run it side by side.
 */
import { createServer } from 'node:net'
import path from 'node:path'
import { runCli } from './cli.ts'

/** The profile for each audit sink (README "Audit sinks"): the same deployment, its trail read four ways. */
export const EXAMPLE_PROFILES = {
  jsonl: path.resolve('targets/examples/agent-tools/agent-tools.target.ts'),
  postgres: path.resolve('targets/examples/agent-tools/agent-tools.postgres.target.ts'),
  otlp: path.resolve('targets/examples/agent-tools/agent-tools.otlp.target.ts'),
  'http-log-api': path.resolve('targets/examples/agent-tools/agent-tools.http-log-api.target.ts'),
} as const
export type ExampleSink = keyof typeof EXAMPLE_PROFILES

const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })

/** A block of ports below the ephemeral range with the ones the profiles use free: AS, two RS, three log APIs, JWKS (base, +1..+5, +9). */
export async function freePortBlock(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 1_200) * 10
    if ((await Promise.all([0, 1, 2, 3, 4, 5, 9].map((d) => portFree(base + d)))).every(Boolean)) return base
  }
  throw new Error('no free port block for the example')
}

/** the initial access token the example's AS requires, handed to the profile through its environment variable */
export const EXAMPLE_IAT = 'e2e-initial-access-token-0123456789'
/** the bearer token of the components' log APIs (sink 'http-log-api'), handed over the same way */
export const EXAMPLE_AUDIT_API_TOKEN = 'e2e-audit-api-token-0123456789'

export function exampleScenario(body: { seconds: number; rate: number; cases: string[] }): string {
  return `import { defineScenario } from 'gatecrash'
export default defineScenario({
  name: 'e2e-example',
  seed: 7,
  population: { tenants: 2, agents: 16, subAgentsPerAgent: 2, depth: 2 },
  scenarios: { workload: { executor: 'constant-arrival-rate', rate: ${body.rate}, timeUnit: '1s', duration: '${body.seconds}s', preAllocatedVUs: 16 } },
  attacks: { share: 0.4, cases: ${JSON.stringify(body.cases)} },
  thresholds: { 'gatecrash_warns{case:replay.dpop-jti-reuse}': ['count==0'] },
  evidence: { settle: '2s' },
})
`
}

/**
 * `form`: the profile starts the example as processes (default) or as containers of one local image
 * (AGENT_TOOLS_FORM). `sink`: which profile, i.e. where the audit trail goes (default jsonl; the
 * others as processes only; postgres needs AGENT_TOOLS_PG_URL in `env`). `env`: more of the CLI's
 * environment (AGENT_TOOLS_OTLP_PROTOCOL, AGENT_TOOLS_PG_TABLE, …).
 */
export async function runExample(opts: { flaw?: string; scenario: string; dir: string; timeoutMs?: number; form?: 'processes' | 'container'; sink?: ExampleSink; env?: Record<string, string>; when?: { pattern: RegExp; run: () => void } }) {
  const base = await freePortBlock()
  const out = path.join(opts.dir, 'runs')
  const env = {
    AGENT_TOOLS_PORT: String(base),
    AGENT_TOOLS_DATA_DIR: path.join(opts.dir, 'data'),
    EXAMPLE_INITIAL_ACCESS_TOKEN: EXAMPLE_IAT,
    ...(opts.flaw ? { AGENT_TOOLS_FLAW: opts.flaw } : {}),
    ...(opts.form ? { AGENT_TOOLS_FORM: opts.form } : {}),
    ...(opts.sink === 'http-log-api' ? { AGENT_TOOLS_AUDIT_API_TOKEN: EXAMPLE_AUDIT_API_TOKEN } : {}),
    ...opts.env,
  }
  return runCli(['run', opts.scenario, '--target', EXAMPLE_PROFILES[opts.sink ?? 'jsonl'], '--out', out], { outDir: out, env, timeoutMs: opts.timeoutMs ?? 150_000, ...(opts.when ? { when: opts.when } : {}) })
}

