/**
 * Tiny fixture servers for the deployment tests: a few lines of node:http in a temp file, started
 * as deployment processes. What each does comes from its environment.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { processLive } from '../../../../harness/chaos/process-groups.ts'
import { Redactor } from '../../../../harness/protocol/redact.ts'
import type { StartedDeployment } from '../../../../targets/profile/deployment/index.ts'
import type { ProcessSpec } from '../../../../targets/profile/deployment/spec.ts'

/**
 * PORT: where to listen (after DELAY ms; never with DELAY=never); PRINT: a line to print first;
 * EXIT_EARLY: print it on stderr and exit 3; UPSTREAM: a URL that must answer before it listens
 * (a process that depends on an earlier one); GRANDCHILD: start a child that idles, print its pid;
 * IGNORE_TERM: ignore SIGTERM (otherwise it prints when SIGTERM came, and exits).
 */
export const SERVER = `
import http from 'node:http'
import { spawn } from 'node:child_process'
const env = process.env
if (env.PRINT) console.log(env.PRINT)
if (env.EXIT_EARLY) { console.error('fatal: ' + env.EXIT_EARLY); process.exit(3) }
if (env.UPSTREAM) {
  try { await fetch(env.UPSTREAM) } catch (e) { console.error('upstream ' + env.UPSTREAM + ' does not answer'); process.exit(4) }
}
if (env.GRANDCHILD) {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  console.log('grandchild ' + c.pid)
}
if (env.IGNORE_TERM) process.on('SIGTERM', () => console.log('ignoring SIGTERM'))
else process.on('SIGTERM', () => { console.log('SIGTERM at ' + Date.now()); process.exit(0) })
const listen = () => http.createServer((req, res) => res.end('ok ' + req.url)).listen(Number(env.PORT), '127.0.0.1', () => console.log('listening on ' + env.PORT))
if (env.DELAY !== 'never') setTimeout(listen, Number(env.DELAY ?? 0))
else setInterval(() => {}, 1000)
`

export interface Scratch {
  dir: string
  server: string
  stateDir: string
  runDir: string
  logsDir: string
  cleanup(): Promise<void>
}

export async function scratch(): Promise<Scratch> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gc-deploy-'))
  const server = path.join(dir, 'server.mjs')
  await writeFile(server, SERVER)
  const runDir = path.join(dir, 'runs', '20261206T150000Z-test-abcd')
  return { dir, server, stateDir: path.join(dir, '.gatecrash'), runDir, logsDir: `${runDir}.logs`, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/**
 * A fresh scratch dir for each test of the file (after `setup`), and after each test the
 * deployments it pushed to `started` stopped, last first, and the dir removed. The returned object
 * reads the current test's scratch.
 */
export function scratchPerTest(setup?: (s: Scratch) => Promise<void>): Scratch & { started: StartedDeployment[] } {
  let cur: Scratch | undefined
  const started: StartedDeployment[] = []
  beforeEach(async () => {
    cur = await scratch()
    await setup?.(cur)
  })
  afterEach(async () => {
    for (const d of started.splice(0).reverse()) await d.stop().catch(() => {})
    await cur?.cleanup()
  })
  const now = (): Scratch => {
    if (cur === undefined) throw new Error('scratchPerTest: read outside a test')
    return cur
  }
  return {
    started,
    get dir() { return now().dir },
    get server() { return now().server },
    get stateDir() { return now().stateDir },
    get runDir() { return now().runDir },
    get logsDir() { return now().logsDir },
    cleanup: () => now().cleanup(),
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}

export async function web(s: Scratch, name: string, env: Record<string, string> = {}, extra: Partial<ProcessSpec> = {}): Promise<ProcessSpec> {
  const port = env.PORT ?? String(await freePort())
  return { name, command: ['node', s.server], env: { ...env, PORT: port }, ready: { url: `http://127.0.0.1:${port}/health` }, timeout: '20s', ...extra }
}

export const redactor = (): Redactor => new Redactor()

/** Waits (a little) for a pid to be gone; true once it is. */
export async function gone(pid: number, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (processLive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
  return !processLive(pid)
}

/** Reads a pid the fixture printed (`grandchild 1234`) from its log file. */
export async function printedPid(logFile: string, label: string): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  for (let i = 0; i < 100; i++) {
    const m = new RegExp(`${label} (\\d+)`).exec(await readFile(logFile, 'utf8').catch(() => ''))
    if (m) return Number(m[1])
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`no '${label} <pid>' in ${logFile}`)
}
