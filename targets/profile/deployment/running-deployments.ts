/**
 * Deployments gatecrash started and that still run, for reuse (Playwright's `reuseExistingServer`):
 * while a harness runs a deployment it keeps `<state dir>/deployments/<pid>-<hex>.json` (folder 0700,
 * file 0600) with its owner (pid and start time), the addresses it answers at and its settings'
 * fingerprint (fingerprint.ts: hashes, never a value). The file goes when the deployment stops; one
 * whose owner is gone is removed at the next start (after its processes were cleaned up).
 *
 * @example
 * const entry = await announceDeployment(stateDir, fingerprint(settings), ['http://127.0.0.1:9100'])
 * const running = await findRunningDeployment(stateDir, 'http://127.0.0.1:9100/health')
 * await entry.forget()
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ownerLives, startTimeOf } from '../../shared/container/owner.ts'
import type { Fingerprint } from './fingerprint.ts'

export interface RunningDeployment {
  file: string
  owner: { pid: number; start: string }
  started_at: string
  /** origins (scheme://host:port) it answers at */
  origins: string[]
  fingerprint: Fingerprint
}

const dirOf = (stateDir: string): string => path.join(stateDir, 'deployments')
const originOf = (url: string): string => new URL(url).origin

async function readAll(stateDir: string): Promise<{ entries: RunningDeployment[]; damaged: string[] }> {
  const dir = dirOf(stateDir)
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^\d+-[0-9a-f]+\.json$/.test(n))
  const entries: RunningDeployment[] = []
  const damaged: string[] = []
  for (const name of names) {
    const file = path.join(dir, name)
    try {
      entries.push({ ...(JSON.parse(await readFile(file, 'utf8')) as Omit<RunningDeployment, 'file'>), file })
    } catch {
      damaged.push(file) // written then renamed into place, so only a damaged disk or a hand edit: nobody can reuse it
    }
  }
  return { entries, damaged }
}

/** Writes this harness's entry for a deployment it starts; `forget()` once it has stopped. */
export async function announceDeployment(stateDir: string, print: Fingerprint, urls: readonly string[]): Promise<{ forget(): Promise<void> }> {
  const dir = dirOf(stateDir)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  const file = path.join(dir, `${process.pid}-${randomBytes(4).toString('hex')}.json`)
  const entry: Omit<RunningDeployment, 'file'> = {
    owner: { pid: process.pid, start: startTimeOf(process.pid) ?? '' },
    started_at: new Date().toISOString(),
    origins: [...new Set(urls.map(originOf))],
    fingerprint: print,
  }
  await writeFile(`${file}.tmp`, JSON.stringify(entry, null, 2), { mode: 0o600 })
  await rename(`${file}.tmp`, file)
  return {
    async forget() {
      await rm(file, { force: true })
    },
  }
}

/** The running deployment (its owner alive) that answers at `url`'s origin, if gatecrash started one. */
export async function findRunningDeployment(stateDir: string, url: string): Promise<RunningDeployment | null> {
  const origin = originOf(url)
  const live = (await readAll(stateDir)).entries.filter((d) => ownerLives(d.owner.pid, d.owner.start) && d.origins.includes(origin))
  // the newest one, should an older owner still be around
  return live.sort((a, b) => b.started_at.localeCompare(a.started_at))[0] ?? null
}

/** Removes the entries of owners that are gone (their deployments were cleaned up first), and damaged ones. */
export async function forgetStaleDeployments(stateDir: string): Promise<number> {
  const { entries, damaged } = await readAll(stateDir)
  const stale = [...entries.filter((d) => !ownerLives(d.owner.pid, d.owner.start)).map((d) => d.file), ...damaged]
  for (const file of stale) await rm(file, { force: true })
  return stale.length
}
