/**
 * Parent and child sides of one bench measurement. Every measurement runs in its own Node process
 * (process.execPath: the Node 24 that `npm run bench` runs on, never the system `node`), so its CPU
 * (process.cpuUsage) and RSS belong to that measurement alone. The child gets its parameters as one
 * JSON argument and answers with one IPC message.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface ChildOptions {
  /** extra Node flags, e.g. ['--expose-gc'] */
  execArgv?: string[]
  /** the child is killed (by its pid) after this long */
  timeoutMs: number
}

/** Runs bench/children/<name>.ts with `params` and resolves with what it sends back. */
export function runChild<T>(name: string, params: unknown, opts: ChildOptions): Promise<T> {
  const entry = fileURLToPath(new URL(`../children/${name}.ts`, import.meta.url))
  return new Promise<T>((resolve, reject) => {
    const child = fork(entry, [JSON.stringify(params)], {
      execPath: process.execPath,
      execArgv: opts.execArgv ?? [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    })
    let result: { ok: true; value: T } | { ok: false; error: string } | null = null
    const timer = setTimeout(() => {
      result ??= { ok: false, error: `${name} timed out after ${opts.timeoutMs} ms` }
      child.kill('SIGKILL')
    }, opts.timeoutMs)
    child.on('message', (m: { ok: boolean; value?: T; error?: string }) => {
      result ??= m.ok ? { ok: true, value: m.value as T } : { ok: false, error: m.error ?? 'unknown error' }
    })
    child.on('error', (e) => {
      result ??= { ok: false, error: e.message }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (result?.ok) resolve(result.value)
      else reject(new Error(result?.error ?? `${name} exited (${signal ?? code}) without a result`))
    })
  })
}

/** Child side: reads the parameters, runs `fn`, sends the result and exits. */
export async function childMain<P, R>(fn: (params: P) => Promise<R>): Promise<void> {
  const params = JSON.parse(process.argv[2] ?? '{}') as P
  try {
    const value = await fn(params)
    await send({ ok: true, value })
    process.exit(0)
  } catch (e) {
    await send({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) })
    process.exit(1)
  }
}

function send(message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      console.log(JSON.stringify(message))
      return resolve()
    }
    process.send(message, undefined, {}, () => resolve())
  })
}

/** µs of CPU (user + system, all threads) this process used since `since`. */
export function cpuSinceUs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since)
  return d.user + d.system
}

export function median(values: number[]): number {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (xs.length === 0) return Number.NaN
  const mid = xs.length >> 1
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
