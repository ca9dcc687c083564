/**
 * Issue 12, containers: a tiny server image built from a profile's Dockerfile (FROM the base image
 * imported from the local Node binary: no registry), run through testcontainers with host networking
 * on 127.0.0.1 and the spec's env, ready on a log line or a command, its output redacted into the
 * logs folder; stopped and removed at the end with its image. A failing build says why; images a
 * killed harness left are removed at the next start.
 *
 * Needs a Docker engine; without one the file is skipped with a message (CI, which sets
 * GATECRASH_CI_REQUIRES=docker, fails instead).
 */
import { spawn } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { TargetStartFailed } from '../../../../harness/contracts/errors.ts'
import { Redactor } from '../../../../harness/protocol/redact.ts'
import { baseImage } from '../../../../targets/shared/container/base-image.ts'
import { dockerAvailable, dockerClient } from '../../../../targets/shared/container/engine.ts'
import { gatecrashContainers } from '../../../../targets/shared/container/stale-containers.ts'
import { cleanupStaleImages, deploymentImages, IMAGE_REPO } from '../../../../targets/profile/deployment/container-image.ts'
import { startDeployment, type ContainerSpec } from '../../../../targets/profile/deployment/index.ts'
import { freePort, scratchPerTest, web } from './fixtures.ts'

const engine = await dockerAvailable()
if (!engine && process.env.GATECRASH_CI_REQUIRES?.split(',').includes('docker')) throw new Error('CI requires a Docker engine (GATECRASH_CI_REQUIRES=docker) and none answers')
if (!engine) console.warn('profile/deployment/container.test.ts skipped: no Docker engine answers (start dockerd as in docs/platform.md "Docker and testcontainers", or set DOCKER_HOST)')

const SERVER = `import http from 'node:http'
console.log('booting with secret ' + process.env.SECRET)
http.createServer((q, r) => r.end('from the container ' + process.env.GREETING)).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('container listening on ' + process.env.PORT))
`
const DOCKERFILE = `ARG GATECRASH_NODE_BASE
FROM \${GATECRASH_NODE_BASE}
COPY server.mjs /app/server.mjs
ENV GREETING=hello
CMD ["/usr/local/bin/node", "/app/server.mjs"]
`

const s = scratchPerTest(async (s) => {
  await mkdir(path.join(s.dir, 'image'))
  await writeFile(path.join(s.dir, 'image', 'server.mjs'), SERVER)
  await writeFile(path.join(s.dir, 'image', 'Dockerfile'), DOCKERFILE)
})

/** this process's deployment containers and images */
const mine = async (): Promise<{ containers: unknown[]; images: string[] }> => {
  const client = await dockerClient()
  return {
    containers: (await gatecrashContainers(client)).filter((c) => c.ownerPid === process.pid && c.component.startsWith('deployment/')),
    images: (await deploymentImages(client)).filter((t) => t.includes(`:${process.pid}-`)),
  }
}

/** The step images a build wrote (` ---> <id>` in the component's log) that still exist, the base image left out. */
async function leftLayers(logFile: string): Promise<string[]> {
  const docker = (await dockerClient()).container.dockerode
  const base = (await docker.getImage(await baseImage(await dockerClient())).inspect()).Id
  const ids = [...(await readFile(logFile, 'utf8')).matchAll(/ ---> ([0-9a-f]{12,64})\s*$/gm)].map((m) => m[1])
  expect(ids.length).toBeGreaterThan(1)
  const left: string[] = []
  for (const id of ids) {
    const info = await docker.getImage(id).inspect().catch(() => null)
    if (info !== null && info.Id !== base) left.push(id)
  }
  return left
}

describe.skipIf(!engine)('deployment containers', () => {
  test('built from a Dockerfile, host network on 127.0.0.1, env applied, ready on a log line or a command; a process after them; all removed at the end', async () => {
    const secret = 'container-secret-9c8b7a6d5e4f'
    const [p1, p2] = [await freePort(), await freePort()]
    const base = { dockerfile: 'image/Dockerfile', context: 'image', timeout: '60s' }
    const byLog: ContainerSpec = { ...base, name: 'by-log', env: { PORT: String(p1), SECRET: secret }, ready: { log: 'container listening' }, url: `http://127.0.0.1:${p1}/` }
    const byCommand: ContainerSpec = {
      ...base,
      name: 'by-command',
      env: { PORT: String(p2), SECRET: secret },
      ready: { command: ['/usr/local/bin/node', '-e', `fetch('http://127.0.0.1:${p2}/').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`] },
    }
    const after = await web(s, 'uses-them', { UPSTREAM: `http://127.0.0.1:${p2}/` })
    const d = await startDeployment({ containers: [byLog, byCommand], processes: [after] }, { stateDir: s.stateDir, logsDir: s.logsDir, redactor: new Redactor().register(secret), baseDir: s.dir, stopGraceMs: 2_000 })
    try {
      expect(d.components.map((c) => [c.name, c.url])).toEqual([['by-log', `http://127.0.0.1:${p1}`], ['by-command', ''], ['uses-them', new URL(after.ready.url).origin]])
      expect(await (await fetch(`http://127.0.0.1:${p1}/`)).text()).toBe('from the container hello')
      expect(await (await fetch(`http://127.0.0.1:${p2}/`)).text()).toBe('from the container hello')
      const live = await mine()
      expect(live.containers).toHaveLength(2)
      expect(live.images).toHaveLength(2)
    } finally {
      await d.stop()
    }
    expect(await mine()).toEqual({ containers: [], images: [] })
    expect(await leftLayers(path.join(s.logsDir, 'by-log.log'))).toEqual([])
    const log = await readFile(path.join(s.logsDir, 'by-log.log'), 'utf8')
    expect(log).toContain('booting with secret [redacted secret]')
    expect(log).toContain('container listening on')
    expect(log).not.toContain(secret)
    expect(await fetch(`http://127.0.0.1:${p1}/`).then(() => 'answers', () => 'gone')).toBe('gone')
  })

  test('`command` runs in place of the image\'s CMD; `mounts` binds a folder of this machine (made if missing) where the container writes', async () => {
    const spec: ContainerSpec = {
      name: 'writer',
      dockerfile: 'image/Dockerfile',
      context: 'image',
      command: ['/usr/local/bin/node', '-e', "require('fs').appendFileSync('/out/audit.jsonl', JSON.stringify({ greeting: process.env.GREETING }) + '\\n'); console.log('wrote it'); setInterval(() => {}, 1000)"],
      mounts: [{ source: 'out', target: '/out' }],
      ready: { log: 'wrote it' },
    }
    const d = await startDeployment({ containers: [spec] }, { stateDir: s.stateDir, logsDir: s.logsDir, redactor: new Redactor(), baseDir: s.dir, stopGraceMs: 1_000 })
    try {
      expect(JSON.parse(await readFile(path.join(s.dir, 'out', 'audit.jsonl'), 'utf8'))).toEqual({ greeting: 'hello' })
    } finally {
      await d.stop()
    }
    expect(await mine()).toEqual({ containers: [], images: [] })
  })

  test('a Dockerfile that does not build: ERR_TARGET_START with the builder\'s error; nothing left', async () => {
    await writeFile(path.join(s.dir, 'image', 'Dockerfile'), `${DOCKERFILE}COPY not-in-the-context.txt /app/\n`)
    const spec: ContainerSpec = { name: 'broken', dockerfile: 'image/Dockerfile', context: 'image', ready: { log: 'never' } }
    let error: unknown
    await startDeployment({ containers: [spec] }, { stateDir: s.stateDir, logsDir: s.logsDir, redactor: new Redactor(), baseDir: s.dir }).catch((e) => (error = e))
    expect(error).toBeInstanceOf(TargetStartFailed)
    expect((error as Error).message).toMatch(/broken did not start: its image did not build: .*not-in-the-context\.txt/)
    expect((error as TargetStartFailed).hint).toContain('FROM ${GATECRASH_NODE_BASE}')
    expect(await mine()).toEqual({ containers: [], images: [] })
    // the steps that did build leave no untagged image behind, and the base image stays
    expect(await leftLayers(path.join(s.logsDir, 'broken.log'))).toEqual([])
    expect(await (await dockerClient()).container.dockerode.listImages({ filters: { reference: [await baseImage(await dockerClient())] } })).toHaveLength(1)
  })

  test('images a killed harness left are removed at the next start; a live owner\'s are not', async () => {
    const client = await dockerClient()
    const base = await baseImage(client)
    const dead = spawn(process.execPath, ['-e', ''])
    await new Promise((r) => dead.once('exit', r))
    const [repo, tag] = [`${IMAGE_REPO}/left-behind`, `${dead.pid}-0-abcdef`]
    const docker = client.container.dockerode
    await docker.getImage(base).tag({ repo, tag })
    await docker.getImage(base).tag({ repo: `${IMAGE_REPO}/mine`, tag: `${process.pid}-0-abcdef` })
    try {
      const logs: string[] = []
      expect(await cleanupStaleImages(client, (l) => logs.push(l))).toBeGreaterThanOrEqual(1)
      expect(logs.join('\n')).toContain(`pid ${dead.pid}`)
      const left = await deploymentImages(client)
      expect(left).not.toContain(`${repo}:${tag}`)
      expect(left).toContain(`${IMAGE_REPO}/mine:${process.pid}-0-abcdef`)
      expect((await docker.listImages({ filters: { reference: [base] } })).length).toBe(1) // the base image stays
    } finally {
      await docker.getImage(`${IMAGE_REPO}/mine:${process.pid}-0-abcdef`).remove().catch(() => {})
    }
  })
})
