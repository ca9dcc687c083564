/**
 * The Docker side of running reference-target components in containers, through testcontainers:
 * the engine check, the base image (built once per machine and Node version by `docker import` of
 * a tarball holding this Node binary, the libraries `ldd` lists and /bin/sh: no registry is needed)
 * and the cleanup after a harness that was killed (containers carry the owning harness's pid).
 *
 * testcontainers' reaper (Ryuk) is an image that would have to be pulled, so it is off; the labels
 * below and cleanupStaleContainers() do its job. Containers use host networking and listen on
 * 127.0.0.1, so TESTCONTAINERS_HOST_OVERRIDE is 127.0.0.1.
 *
 * @example
 * const client = await dockerClient()                 // ERR_TARGET_START with a hint when no engine answers
 * await cleanupStaleContainers(client, log)          // containers of harnesses that are gone
 * const image = await baseImage(client, log)          // 'gatecrash-node-base:24.21.0-x64'
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { ContainerRuntimeClient } from 'testcontainers'
import { pidAlive } from '../../../harness/chaos/stale-state.ts'
import { TargetStartFailed } from '../../../harness/contracts/errors.ts'

// Read by testcontainers when it first starts a container; an explicit setting wins.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true'
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1'

/** every container the reference target starts carries these labels */
export const LABEL = 'dev.gatecrash.component'
export const LABEL_OWNER_PID = 'dev.gatecrash.owner-pid'
/** the owner's start time (/proc/<pid>/stat field 22), so a reused pid is not taken for the owner */
export const LABEL_OWNER_START = 'dev.gatecrash.owner-start'

/** where the Node binary lives in the base image */
export const IMAGE_NODE = '/usr/local/bin/node'

const run = promisify(execFile)

function startTimeOf(pid: number): string | null {
  try {
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/** labels naming this harness process as the owner */
export function ownerLabels(component: string): Record<string, string> {
  return { [LABEL]: component, [LABEL_OWNER_PID]: String(process.pid), [LABEL_OWNER_START]: startTimeOf(process.pid) ?? '' }
}

const NO_ENGINE_HINT =
  'start a Docker engine (e.g. `apt-get install -y --no-install-recommends docker.io` then ' +
  '`setsid dockerd --bridge=none --iptables=false --ip-forward=false >dockerd.log 2>&1 </dev/null &`) ' +
  'or set DOCKER_HOST; or run without --container'

let clientPromise: Promise<ContainerRuntimeClient> | null = null

/** testcontainers' client for the local engine; ERR_TARGET_START naming how to start one if none answers. */
export function dockerClient(): Promise<ContainerRuntimeClient> {
  clientPromise ??= (async () => {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers')
      return await getContainerRuntimeClient()
    } catch (e) {
      clientPromise = null
      throw new TargetStartFailed(`no Docker engine answers, so components cannot run in containers (${(e as Error).message.split('\n')[0]})`, { cause: e, hint: NO_ENGINE_HINT })
    }
  })()
  return clientPromise
}

/** True when a Docker engine answers (tests use it to skip). */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await dockerClient()
    return true
  } catch {
    return false
  }
}

/** The base image's tag: one per Node version and architecture. */
export function baseImageTag(): string {
  return `gatecrash-node-base:${process.versions.node}-${process.arch}`
}

async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary])
  // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
  return [...stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/g)].map((m) => m[1])
}

let imagePromise: Promise<string> | null = null

/**
 * The base image (`baseImageTag()`), imported once per machine: this process's Node binary at
 * /usr/local/bin/node, the libraries `ldd` lists for it and for /bin/sh, /bin/sh, and /tmp.
 */
export function baseImage(client: ContainerRuntimeClient, log: (line: string) => void = () => {}): Promise<string> {
  imagePromise ??= (async () => {
    const tag = baseImageTag()
    const [repo, version] = tag.split(':')
    const docker = client.container.dockerode
    if ((await docker.listImages({ filters: { reference: [tag] } })).length > 0) return tag
    const began = Date.now()
    const stage = await mkdtemp(path.join(tmpdir(), 'gatecrash-base-image-'))
    try {
      const files = new Set([...(await sharedLibraries(process.execPath)), ...(await sharedLibraries('/bin/sh')), '/bin/sh'])
      for (const file of files) {
        await mkdir(path.join(stage, path.dirname(file)), { recursive: true })
        await copyFile(file, path.join(stage, file)) // follows symlinks: the image holds the files
      }
      await mkdir(path.join(stage, path.dirname(IMAGE_NODE)), { recursive: true })
      await copyFile(process.execPath, path.join(stage, IMAGE_NODE))
      await mkdir(path.join(stage, 'tmp'))
      await chmod(path.join(stage, 'tmp'), 0o1777)
      const tar = spawn('tar', ['-C', stage, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] })
      let tarErr = ''
      tar.stderr.on('data', (c: Buffer) => (tarErr += c.toString('utf8')))
      const tarDone = new Promise<void>((resolve, reject) => tar.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}: ${tarErr.trim()}`)))))
      const stream = await docker.importImage(tar.stdout, { repo, tag: version, changes: [`ENV PATH=/usr/local/bin:/usr/bin:/bin`, `CMD ["${IMAGE_NODE}"]`] } as object)
      await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())))
      await tarDone
      log(`built the container base image ${tag} in ${((Date.now() - began) / 1000).toFixed(1)} s`)
      return tag
    } catch (e) {
      imagePromise = null
      throw new TargetStartFailed(`could not build the container base image ${tag}: ${(e as Error).message}`, { cause: e, hint: 'the image is a `docker import` of this Node binary and its libraries; check that `ldd` and `tar` are installed and the Docker engine can import images' })
    } finally {
      await rm(stage, { recursive: true, force: true })
    }
  })()
  return imagePromise
}

/**
 * Removes the containers of harnesses that are gone (a harness killed outright cannot stop its
 * containers; a paused one would stay paused for good): unpaused first, then removed. Containers
 * of live harnesses, this one included, are left alone. Returns how many were removed.
 */
export async function cleanupStaleContainers(client: ContainerRuntimeClient, log: (line: string) => void = () => {}): Promise<number> {
  const docker = client.container.dockerode
  const list = await docker.listContainers({ all: true, filters: { label: [LABEL] } })
  let removed = 0
  for (const info of list) {
    const pid = Number(info.Labels[LABEL_OWNER_PID])
    const start = info.Labels[LABEL_OWNER_START] ?? ''
    const ownerLives = Number.isInteger(pid) && pid > 0 && (pid === process.pid || (pidAlive(pid) && (start === '' || startTimeOf(pid) === start)))
    if (ownerLives) continue
    const c = docker.getContainer(info.Id)
    try {
      if (info.State === 'paused') await c.unpause()
      await c.remove({ force: true, v: true })
      removed++
      log(`removed container ${info.Names[0]?.replace(/^\//, '') ?? info.Id.slice(0, 12)} (${info.Labels[LABEL]}) left behind by a harness that was killed (pid ${pid})`)
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) log(`could not remove container ${info.Id.slice(0, 12)} left by a killed harness: ${(e as Error).message}`)
    }
  }
  return removed
}

/** Gatecrash containers that exist now (any owner): for tests and diagnostics. */
export async function gatecrashContainers(client: ContainerRuntimeClient): Promise<{ id: string; name: string; component: string; state: string; ownerPid: number }[]> {
  const list = await client.container.dockerode.listContainers({ all: true, filters: { label: [LABEL] } })
  return list.map((i) => ({ id: i.Id, name: i.Names[0]?.replace(/^\//, '') ?? '', component: i.Labels[LABEL], state: i.State, ownerPid: Number(i.Labels[LABEL_OWNER_PID]) }))
}

/**
 * Marks that this working directory has run components in containers, so that any later start
 * (with or without `--container`) looks for containers a killed harness left behind. Without the
 * mark a start never talks to the container engine.
 */
export const CONTAINERS_MARK = path.join('.gatecrash', 'containers-used')

export async function markContainersUsed(): Promise<void> {
  await mkdir(path.dirname(CONTAINERS_MARK), { recursive: true })
  await writeFile(CONTAINERS_MARK, `${new Date().toISOString()}\n`)
}

/**
 * At a start without containers: if an earlier start here used containers, removes the ones whose
 * harness is gone, and the mark once none is left. Best effort: no engine, nothing to do.
 */
export async function cleanupIfContainersWereUsed(log: (line: string) => void = () => {}): Promise<void> {
  if (!existsSync(CONTAINERS_MARK)) return
  try {
    const client = await dockerClient()
    await cleanupStaleContainers(client, log)
    if ((await gatecrashContainers(client)).length === 0) await rm(CONTAINERS_MARK, { force: true })
  } catch {
    // no engine answers: its containers cannot be running either
  }
}
