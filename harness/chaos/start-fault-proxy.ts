/**
 * Starts the built-in fault proxy (./fault-proxy/main.ts) as a child process and hands back its
 * Toxiproxy-compatible API with a driver for it. Before starting, fault proxies that a killed
 * harness left behind in the same state directory are killed (`cleanupStale`).
 *
 * The child runs on this process's Node binary, listens on 127.0.0.1 only, and exits when its IPC
 * channel closes: on `stop()`, and also when this process dies in any way (so a killed harness
 * leaves no proxy running). It does not keep this process alive: a harness that forgets `stop()`
 * can still exit. On Ctrl-C and SIGTERM the caller heals (`heal()`) and then stops; the child
ignores Ctrl-C itself so that target traffic keeps flowing until then.
 *
 * @example
 *   await using faults = await startFaultProxy({ stateDir: '.gatecrash' })
 *   const jwksUrl = await faults.client.proxyUrl('gatecrash_jwks', 'http://127.0.0.1:9000')
 *   await faults.client.addToxic('gatecrash_jwks', { type: 'latency', attributes: { latency: 800 } })
 */
import { fork, type ChildProcess } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FaultProxyMessage } from './fault-proxy/main.ts'
import { cleanupStale, FAULT_PROXY_MARKER, removeStateFile } from './fault-proxy/stale.ts'
import { FaultInjectionFailed, ToxiproxyClient } from './toxiproxy-client.ts'

export { cleanupStale, type CleanupResult } from './fault-proxy/stale.ts'

export const DEFAULT_STATE_DIR = '.gatecrash'

export interface FaultProxyOptions {
  /** where the proxy keeps its state file, for cleaning up after a killed harness; default `.gatecrash` */
  stateDir?: string
  /** API port on 127.0.0.1; default 0 (any free port) */
  apiPort?: number
  startTimeoutMs?: number
  /** how long stop() waits for the child before SIGKILL */
  stopTimeoutMs?: number
  log?: (line: string) => void
}

export interface StartedFaultProxy extends AsyncDisposable {
  /** the API's base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string
  readonly pid: number
  readonly client: ToxiproxyClient
  readonly stateDir: string
  /** heals every fault at once: removes all toxics and re-enables every proxy (Toxiproxy's POST /reset) */
  heal(): Promise<void>
  /** closes every proxy and connection and ends the child; idempotent */
  stop(): Promise<void>
}

const ENTRY = fileURLToPath(new URL('./fault-proxy/main.ts', import.meta.url))
const STDERR_TAIL = 4_096
/** Node's on-disk compile cache, shared with the reference target's children; an explicit one in the environment wins */
const COMPILE_CACHE = process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'gatecrash-node-compile-cache')

export async function startFaultProxy(options: FaultProxyOptions = {}): Promise<StartedFaultProxy> {
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR)
  const log = options.log ?? (() => {})
  const { killed } = await cleanupStale(stateDir)
  if (killed.length > 0) log(`fault proxy: killed stale fault proxies ${killed.join(', ')} left in ${stateDir}`)

  const child = fork(ENTRY, [FAULT_PROXY_MARKER, `--state-dir=${stateDir}`, `--api-port=${options.apiPort ?? 0}`], {
    execPath: process.execPath,
    execArgv: [],
    env: { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  })
  let stderrTail = ''
  const forward = (chunk: Buffer, keep: boolean): void => {
    const text = chunk.toString('utf8')
    if (keep) stderrTail = (stderrTail + text).slice(-STDERR_TAIL)
    for (const line of text.split('\n')) if (line.trim() !== '') log(`[fault-proxy] ${line}`)
  }
  child.stdout?.on('data', (c: Buffer) => forward(c, false))
  child.stderr?.on('data', (c: Buffer) => forward(c, true))
  child.on('error', () => {}) // surfaces through the ready wait
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  void exited.then(() => (child.pid !== undefined ? removeStateFile(stateDir, child.pid).catch(() => {}) : undefined))

  const url = await waitReady(child, options.startTimeoutMs ?? 10_000, () => stderrTail.trim())
  // the child must not keep the harness alive; when the harness exits, the IPC channel closes and the child follows
  child.unref()
  child.channel?.unref()
  for (const s of [child.stdout, child.stderr]) (s as { unref?: () => void } | null)?.unref?.()

  const client = new ToxiproxyClient(url)
  let stopping: Promise<void> | null = null
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await client.close().catch(() => {})
      if (child.exitCode !== null || child.signalCode !== null) return
      child.ref()
      if (child.connected) child.disconnect()
      else child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs ?? 3_000)
      await exited
      clearTimeout(timer)
      if (child.pid !== undefined) await removeStateFile(stateDir, child.pid).catch(() => {})
    })()
    return stopping
  }
  return { url, pid: child.pid!, client, stateDir, heal: () => client.reset(), stop, [Symbol.asyncDispose]: stop }
}

function waitReady(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<string> {
  return new Promise<string>((resolveUrl, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer)
      child.off('exit', onExit)
      child.off('error', onError)
      child.off('message', onMessage)
    }
    const failed = (why: string): void => {
      cleanup()
      child.kill('SIGKILL')
      const tail = stderr()
      reject(
        new FaultInjectionFailed(`the fault proxy did not start: ${why}${tail !== '' ? `\n--- fault-proxy stderr (tail) ---\n${tail}` : ''}`, {
          hint: 'the fault proxy runs harness/chaos/fault-proxy/main.ts on this Node binary; its stderr is quoted above when it wrote any',
        }),
      )
    }
    const onExit = (code: number | null, signal: string | null): void => failed(`exited early (code ${code}, signal ${signal})`)
    const onError = (e: Error): void => failed(`could not spawn: ${e.message}`)
    const onMessage = (m: FaultProxyMessage): void => {
      if (m.type === 'failed') return failed(m.message)
      if (m.type !== 'ready') return
      cleanup()
      resolveUrl(m.url)
    }
    const timer = setTimeout(() => failed(`no ready message within ${timeoutMs} ms`), timeoutMs)
    child.once('exit', onExit)
    child.once('error', onError)
    child.on('message', onMessage)
  })
}
