/**
 * A real, throwaway PostgreSQL server for tests: initdb into a temp dir, the postmaster on a free
 * loopback port (TCP on 127.0.0.1 only, its Unix socket in the temp dir), removed again by stop()
 * or, at the latest, when the test process exits, so no server outlives the file that started it.
 *
 * initdb and postgres refuse to run as root. As root (CI, these VMs) they run as the `postgres` OS
 * user the Debian package creates, through spawn's uid/gid rather than runuser: the postmaster then
 * stays this process's own child, so stop() and the exit hook end exactly that pid.
 *
 * Authentication is what a deployment's would be: the superuser `gatecrash` is trusted (from the
 * socket and from 127.0.0.1, the test's own admin connection), every other role needs its
 * scram-sha-256 password over TCP, so a wrong password is refused as a real server refuses it.
 *
 * Where no PostgreSQL server binaries exist, requirePostgres() returns null and the test file skips
 * (with a message saying why), unless CI requires the component (GATECRASH_CI_REQUIRES=postgres,
 * set by .ci/run, which installs it): then the file fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { closedPort } from './closed-port.ts'

export const SUPERUSER = 'gatecrash'
const START_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 10_000

/** The directory holding initdb and postgres (the newest installed version), or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a))
    for (const v of versions) if (existsSync(path.join(root, v, 'bin', 'initdb'))) return path.join(root, v, 'bin')
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' })
  const onPath = which.status === 0 ? which.stdout.trim() : ''
  return onPath && existsSync(path.join(path.dirname(onPath), 'postgres')) ? path.dirname(onPath) : null
}

/**
 * The binaries' directory for a test file, or null (the file skips, having said why). Throws when
 * CI requires PostgreSQL and there is none, so CI cannot pass without running the file.
 */
export function requirePostgres(testFile: string): string | null {
  const bin = postgresBinDir()
  if (!bin && process.env.GATECRASH_CI_REQUIRES?.split(',').includes('postgres')) {
    throw new Error('CI requires PostgreSQL server binaries (GATECRASH_CI_REQUIRES=postgres) and there are none in /usr/lib/postgresql/*/bin or on PATH')
  }
  if (!bin) console.warn(`${testFile}: skipped: no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/*/bin or on PATH; \`apt-get install postgresql\` (.ci/run does)`)
  return bin
}

/** uid/gid to run the server as: ours, or the `postgres` user's when we are root. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null
  const id = (flag: string): number => {
    const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error('running as root, and there is no `postgres` OS user to run PostgreSQL as (initdb and postgres refuse root)')
    return Number(r.stdout.trim())
  }
  return { uid: id('-u'), gid: id('-g') }
}

export interface PostgresServer {
  readonly port: number
  readonly dataDir: string
  /** the superuser's connection string (trusted from loopback: no password) */
  superuserUrl(database?: string): string
  /** a role's connection string, with its password (what a profile's connection env var holds) */
  urlFor(role: string, password: string, database?: string): string
  /** runs SQL as the superuser on `database` (default `postgres`) */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[], database?: string): Promise<pg.QueryResult<R>>
  createDatabase(name: string): Promise<void>
  /** a login role with a password (scram-sha-256), optionally granted SELECT on tables of `database` */
  createRole(name: string, password: string, grants?: { database: string; select: string[] }): Promise<void>
  /** fast shutdown; the data stays */
  stop(): Promise<void>
  /** the same data on the same port */
  start(): Promise<void>
  restart(): Promise<void>
  /** stops and removes the data directory */
  destroy(): Promise<void>
}

const live = new Set<ChildProcess>()
const dirs = new Set<string>()
let hooked = false
/** the last resort: a test process that ends without destroy() still takes its servers with it */
function hookExit(): void {
  if (hooked) return
  hooked = true
  process.on('exit', () => {
    for (const child of live) child.kill('SIGQUIT')
    for (const dir of dirs) {
      try {
        rmSync(dir, { recursive: true, force: true })
      } catch {
        // an immediate shutdown may still be writing; the temp dir is the OS's to clean
      }
    }
  })
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`

/** initdb a fresh cluster and start it; the caller must destroy() it (the exit hook is the fallback). */
export async function startPostgres(bin: string): Promise<PostgresServer> {
  hookExit()
  const user = serverUser()
  const dir = await mkdtemp(path.join(tmpdir(), 'gatecrash-pg-'))
  dirs.add(dir)
  const dataDir = path.join(dir, 'data')
  if (user) await chown(dir, user.uid, user.gid)
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', HOME: dir }
  const init = spawnSync(path.join(bin, 'initdb'), ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--no-sync'], { env, encoding: 'utf8', ...(user ?? {}), timeout: 60_000 })
  if (init.status !== 0) throw new Error(`initdb failed (${init.status ?? init.signal}): ${(init.stderr || init.stdout).slice(-800)}`)
  await writeFile(
    path.join(dataDir, 'pg_hba.conf'),
    [
      `local all ${SUPERUSER} trust`,
      `host all ${SUPERUSER} 127.0.0.1/32 trust`,
      'local all all scram-sha-256',
      'host all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'),
  )
  if (user) await chown(path.join(dataDir, 'pg_hba.conf'), user.uid, user.gid)

  let port = await closedPort()
  let child: ChildProcess | null = null

  async function start(): Promise<void> {
    if (child) return
    let log = ''
    const proc = spawn(
      path.join(bin, 'postgres'),
      // durability is not what these tests are about: no fsync makes start, inserts and stop fast
      ['-D', dataDir, '-k', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=40', '-c', 'shared_buffers=16MB'],
      { env, stdio: ['ignore', 'ignore', 'pipe'], ...(user ?? {}) },
    )
    proc.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)))
    live.add(proc)
    proc.once('exit', () => {
      live.delete(proc)
      if (child === proc) child = null
    })
    child = proc
    const until = Date.now() + START_TIMEOUT_MS
    while (Date.now() < until) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`postgres exited (${proc.exitCode ?? proc.signalCode}) on start: ${log.slice(-800)}`)
      const c = new pg.Client({ connectionString: server.superuserUrl(), connectionTimeoutMillis: 1000 })
      try {
        await c.connect()
        await c.query('select 1')
        return
      } catch {
        await new Promise((r) => setTimeout(r, 100))
      } finally {
        await c.end().catch(() => {})
      }
    }
    proc.kill('SIGQUIT')
    throw new Error(`postgres did not accept connections within ${START_TIMEOUT_MS / 1000} s: ${log.slice(-800)}`)
  }

  async function stop(): Promise<void> {
    const proc = child
    if (!proc) return
    child = null
    const exited = new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())))
    proc.kill('SIGINT') // fast shutdown: sessions are ended, the data stays consistent
    let timer: NodeJS.Timeout | undefined
    const late = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_TIMEOUT_MS)))])
    clearTimeout(timer)
    if (late) {
      proc.kill('SIGKILL')
      await exited
    }
  }

  const server: PostgresServer = {
    get port() {
      return port
    },
    dataDir,
    superuserUrl: (database = 'postgres') => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`,
    urlFor: (role, password, database = 'postgres') => `postgres://${encodeURIComponent(role)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    async query(sql, values, database) {
      const c = new pg.Client({ connectionString: server.superuserUrl(database), connectionTimeoutMillis: 5000 })
      await c.connect()
      try {
        return await c.query(sql, values)
      } finally {
        await c.end().catch(() => {})
      }
    },
    async createDatabase(name) {
      await server.query(`CREATE DATABASE ${quote(name)}`)
    },
    async createRole(name, password, grants) {
      // a literal: CREATE ROLE takes no parameters; the password is the test's own
      await server.query(`CREATE ROLE ${quote(name)} LOGIN PASSWORD '${password.replaceAll("'", "''")}'`)
      if (grants) {
        await server.query(`GRANT CONNECT ON DATABASE ${quote(grants.database)} TO ${quote(name)}`)
        for (const table of grants.select) await server.query(`GRANT SELECT ON ${table.split('.').map(quote).join('.')} TO ${quote(name)}`, [], grants.database)
      }
    },
    stop,
    start,
    async restart() {
      await stop()
      await start()
    },
    async destroy() {
      await stop()
      dirs.delete(dir)
      await rm(dir, { recursive: true, force: true })
    },
  }
  // a port taken between choosing and binding: choose again (bounded)
  for (let attempt = 1; ; attempt++) {
    try {
      await start()
      return server
    } catch (e) {
      if (attempt >= 3 || !/could not (bind|create listen)/i.test((e as Error).message)) {
        dirs.delete(dir)
        rmSync(dir, { recursive: true, force: true })
        throw e
      }
      port = await closedPort()
    }
  }
}

/** A test file's server: `available` is known when tests are collected (for skipIf); `server()` once they run. */
export interface FilePostgres {
  readonly available: boolean
  server(): PostgresServer
}

/**
 * One throwaway server for a test file: started before its tests (with `databases` created),
 * destroyed after them; not available when the file skips for want of binaries (requirePostgres).
 */
export function postgresForFile(testFile: string, databases: readonly string[] = []): FilePostgres {
  const bin = requirePostgres(testFile)
  let started: PostgresServer | null = null
  beforeAll(async () => {
    if (!bin) return
    started = await startPostgres(bin)
    for (const db of databases) await started.createDatabase(db)
  }, 60_000)
  afterAll(async () => {
    await started?.destroy()
  })
  return {
    available: bin !== null,
    server(): PostgresServer {
      if (!started) throw new Error(`${testFile}: the PostgreSQL server is not running (no binaries, or asked for before beforeAll)`)
      return started
    },
  }
}
