/**
 * The image of a deployment container, built locally from the profile's Dockerfile and removed when
 * the deployment stops. No registry is reachable: the Dockerfile starts FROM the base image
 * imported from the local Node binary (targets/shared/container/base-image.ts), passed as the build
 * argument GATECRASH_NODE_BASE, and the classic builder never pulls an image it has.
 *
 * The build goes through the Docker API of testcontainers' runtime client rather than its
 * GenericContainer.fromDockerfile(), which drops the build's output and error: a failing build here
 * reports its own error and output (into the component's log, redacted).
 *
 * Tags carry the owner (`gatecrash-deployment/<name>:<pid>-<start>-<hex>`), so the images of a
 * harness killed outright are removed at the next start, like its containers.
 *
 * @example
 * const tag = imageTagFor('as')
 * await buildImage(client, { context, dockerfile, tag, buildArgs: { GATECRASH_NODE_BASE: base }, onLine: log.write })
 * await removeImage(client, tag)
 */
import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import type { ContainerRuntimeClient } from 'testcontainers'
import { ownerLives, startTimeOf } from '../../shared/container/owner.ts'

export const IMAGE_REPO = 'gatecrash-deployment'

/** A tag of this harness for a component's image: lower case, the owner's pid and start time, a random part. */
export function imageTagFor(name: string): string {
  const repo = name.toLowerCase().replace(/[^a-z0-9_.-]/g, '-').replace(/^[^a-z0-9]+/, '')
  return `${IMAGE_REPO}/${repo || 'component'}:${process.pid}-${startTimeOf(process.pid) ?? '0'}-${randomBytes(3).toString('hex')}`
}

/** Files of the build context, relative to it (the Docker API takes them as a tar; .dockerignore applies). */
async function contextFiles(context: string, under = ''): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(path.join(context, under), { withFileTypes: true })) {
    const rel = under === '' ? e.name : `${under}/${e.name}`
    if (e.isDirectory()) out.push(...(await contextFiles(context, rel)))
    else out.push(rel)
  }
  return out
}

/** Builds `tag`; rejects with the builder's own error. Every output line goes to `onLine`. */
export async function buildImage(client: ContainerRuntimeClient, o: { context: string; dockerfile: string; tag: string; buildArgs: Record<string, string>; onLine: (line: string) => void }): Promise<void> {
  const docker = client.container.dockerode
  const stream = (await docker.buildImage(
    { context: o.context, src: await contextFiles(o.context) },
    { t: o.tag, dockerfile: path.relative(o.context, o.dockerfile).split(path.sep).join('/'), buildargs: o.buildArgs, rm: true, forcerm: true, pull: false } as object,
  )) as NodeJS.ReadableStream
  let error: string | null = null
  /** the image of each step (` ---> 1a2b3c4d5e6f`): what a failed build leaves behind, untagged */
  const layers: string[] = []
  await new Promise<void>((resolve, reject) => {
    let buffered = ''
    const event = (line: string): void => {
      if (line.trim() === '') return
      let e: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }
      try {
        e = JSON.parse(line)
      } catch {
        return o.onLine(line)
      }
      if (e.error !== undefined) {
        error = e.errorDetail?.message ?? e.error
        o.onLine(`build error: ${error}`)
      }
      for (const text of [e.stream, e.status]) {
        for (const l of text?.split('\n') ?? []) {
          if (l.trim() === '') continue
          o.onLine(`build: ${l}`)
          const layer = /^ ---> ([0-9a-f]{12,64})\s*$/.exec(l)
          if (layer) layers.push(layer[1])
        }
      }
    }
    stream.on('data', (chunk: Buffer) => {
      const lines = (buffered + chunk.toString('utf8')).split('\n')
      buffered = lines.pop() ?? ''
      lines.forEach(event)
    })
    stream.on('end', () => (event(buffered), resolve()))
    stream.on('error', reject)
  })
  if (error !== null) {
    await removeUntaggedLayers(client, layers.reverse())
    throw new Error(error)
  }
  if ((await docker.listImages({ filters: { reference: [o.tag] } })).length === 0) throw new Error(`the build ended without an image ${o.tag}`)
}

/**
 * The untagged step images a failed build left, newest first. A step image with a tag is never
 * removed (the first step's is the FROM image: the shared base image); nor, as the engine refuses
 * without force, one another image builds on or a container uses.
 */
async function removeUntaggedLayers(client: ContainerRuntimeClient, ids: readonly string[]): Promise<void> {
  const docker = client.container.dockerode
  for (const id of ids) {
    const info = await docker.getImage(id).inspect().catch(() => null)
    if (info === null || (info.RepoTags ?? []).length > 0) continue
    await docker.getImage(info.Id).remove({ noprune: true }).catch(() => {})
  }
}

/** Removes a tag of ours (and its layers, unless another image uses them). Missing already: fine. */
export async function removeImage(client: ContainerRuntimeClient, tag: string): Promise<void> {
  await client.container.dockerode.getImage(tag).remove({ force: true, noprune: false }).catch((e: { statusCode?: number }) => {
    if (e.statusCode !== 404) throw e
  })
}

/** Deployment images whose owner is gone (a harness killed outright); returns how many were removed. */
export async function cleanupStaleImages(client: ContainerRuntimeClient, log: (line: string) => void = () => {}): Promise<number> {
  const images = await client.container.dockerode.listImages({ filters: { reference: [`${IMAGE_REPO}/*`] } })
  let removed = 0
  for (const tag of images.flatMap((i) => i.RepoTags ?? [])) {
    const m = /:(\d+)-(\d+)-[0-9a-f]+$/.exec(tag)
    if (!tag.startsWith(`${IMAGE_REPO}/`) || m === null || ownerLives(Number(m[1]), m[2] === '0' ? '' : m[2])) continue
    try {
      await removeImage(client, tag)
      removed++
      log(`removed image ${tag} left behind by a harness that was killed (pid ${m[1]})`)
    } catch (e) {
      log(`could not remove image ${tag} left by a killed harness: ${(e as Error).message}`)
    }
  }
  return removed
}

/** Deployment images of any owner (tests and diagnostics). */
export async function deploymentImages(client: ContainerRuntimeClient): Promise<string[]> {
  const images = await client.container.dockerode.listImages({ filters: { reference: [`${IMAGE_REPO}/*`] } })
  return images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(`${IMAGE_REPO}/`))
}
