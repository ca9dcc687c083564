/**
 * A throwaway PostgreSQL server for the example's postgres audit sink tests: initdb into a temp
 * folder and a postmaster on a free loopback port with its socket in that folder, run as the
 * `postgres` OS user when the tests run as root (PostgreSQL refuses root). Durability is off: it
 * lives for one test file. `null` when no PostgreSQL binaries are installed (the test skips).
 *
 * (Local to these tests until the shared test/helpers/postgres.ts exists.)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { freePort } from './deployment.ts'

export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth: no password) */
  url: string
  stop(): Promise<void>
}

/** the newest installed major version's bin folder (Debian's layout), or null */
export function postgresBin(): string | null {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  const majors = readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(path.join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a))
  return majors.length > 0 ? path.join(root, majors[0], 'bin') : null
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres | null> {
  const bin = postgresBin()
  if (bin === null) return null
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-tools-pg-'))
  const data = path.join(dir, 'data')
  const asRoot = process.getuid?.() === 0
  const run = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args])
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, uid, gid)
  }
  const [initCmd, initArgs] = run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'])
  execFileSync(initCmd, initArgs, { stdio: 'pipe', timeout: 60_000 })

  const port = await freePort()
  const [cmd, args] = run(path.join(bin, 'postgres'), ['-D', data, '-k', dir, '-h', '127.0.0.1', '-p', String(port), '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=50'])
  const proc: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  proc.stderr!.on('data', (c: Buffer) => (log += c.toString('utf8')).length > 20_000 && (log = log.slice(-10_000)))
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`

  const stop = async (): Promise<void> => {
    // the postmaster itself, by the pid it wrote (runuser may not pass the signal on)
    const pidFile = path.join(data, 'postmaster.pid')
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 'SIGINT') // fast shutdown
      } catch {}
    }
    for (let i = 0; i < 100 && proc.exitCode === null && proc.signalCode === null; i++) await sleep(50)
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }

  const deadline = Date.now() + 20_000
  for (;;) {
    const client = new pg.Client({ connectionString: url })
    try {
      await client.connect()
      await client.query('SELECT 1')
      await client.end()
      return { url, stop }
    } catch {
      await client.end().catch(() => {})
      if (proc.exitCode !== null || Date.now() > deadline) {
        await stop()
        throw new Error(`the throwaway PostgreSQL did not start:\n${log.slice(-2_000)}`)
      }
      await sleep(100)
    }
  }
}
