/**
 * The container base image, built once per machine and Node version by `docker import` of a
 * tarball holding this Node binary, the libraries `ldd` lists and /bin/sh: no registry is needed.
 * Images built `FROM` it work with COPY/ENV/CMD only (a RUN step would need a network).
 *
 * @example
 * const image = await baseImage(client, log)          // 'gatecrash-node-base:24.21.0-x64'
 */
import { execFile, spawn } from 'node:child_process'
import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { ContainerRuntimeClient } from 'testcontainers'
import { TargetStartFailed } from '../../../harness/contracts/errors.ts'

/** where the Node binary lives in the base image */
export const IMAGE_NODE = '/usr/local/bin/node'

const run = promisify(execFile)

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
