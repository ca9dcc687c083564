/**
 * Builds the example's one local image without a registry: `npx node
 * targets/examples/agent-tools/container/build-image.ts [--tag NAME]`.
 *
 * 1. The base image, once per Node version: `docker import` of a tarball holding this Node binary,
 *    the shared libraries `ldd` lists for it and for /bin/sh, /bin/sh itself, and /tmp.
 * 2. A build context: the example's sources (as/, rs/, lib/), a package.json marking them ES
 *    modules, and the npm packages they load at run time: oidc-provider, express,
 *    express-oauth2-jwt-bearer and jose with their dependencies, resolved from package-lock.json
 *    the way Node resolves them.
 * 3. `docker build` of container/Dockerfile (COPY, ENV, CMD only) on that context.
 *
 * The target profile's container form (AGENT_TOOLS_FORM=container) uses step 2 only: gatecrash
 * builds from that context on its own base image and removes the image after the run.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const HERE = import.meta.dirname
const EXAMPLE = path.resolve(HERE, '..')
const ROOT = path.resolve(EXAMPLE, '../../..')

export const IMAGE = 'agent-tools-example:local'
export const RUNTIME_PACKAGES = ['oidc-provider', 'express', 'express-oauth2-jwt-bearer', 'jose']

export function baseTag(): string {
  return `agent-tools-node-base:${process.versions.node}-${process.arch}`
}

interface LockPackage {
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  dev?: boolean
}

/** node_modules paths (relative to the repository) of `roots` and everything they depend on, per package-lock.json. */
export function runtimePackages(roots: readonly string[] = RUNTIME_PACKAGES, lockFile = path.join(ROOT, 'package-lock.json')): string[] {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { packages: Record<string, LockPackage> }
  const resolve = (from: string, name: string): string | null => {
    // Node's lookup: from/node_modules/name, then each ancestor's node_modules, up to the root
    for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`
      if (lock.packages[candidate] !== undefined) return candidate
      if (dir === '') return null
    }
  }
  const seen = new Set<string>()
  const queue = roots.map((r) => {
    const p = resolve('', r)
    if (p === null) throw new Error(`${r} is not installed (package-lock.json)`)
    return p
  })
  while (queue.length > 0) {
    const p = queue.pop()!
    if (seen.has(p)) continue
    seen.add(p)
    const meta = lock.packages[p]
    for (const dep of Object.keys({ ...meta.dependencies, ...meta.optionalDependencies })) {
      const q = resolve(p, dep)
      if (q !== null) queue.push(q)
      else if (meta.dependencies?.[dep] !== undefined) throw new Error(`${p} needs ${dep}, which package-lock.json does not hold`)
    }
  }
  return [...seen].sort()
}

function docker(args: string[], input?: string): string {
  return execFileSync('docker', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] })
}

export function imageExists(tag: string): boolean {
  return spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0
}

function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' })
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/g)].map((m) => m[1])
}

/** The base image: this Node binary and what it needs to run, imported (no registry). */
export function buildBaseImage(tag = baseTag()): string {
  if (imageExists(tag)) return tag
  const stage = mkdtempSync(path.join(tmpdir(), 'agent-tools-base-'))
  try {
    for (const file of new Set([...sharedLibraries(process.execPath), ...sharedLibraries('/bin/sh'), '/bin/sh'])) {
      mkdirSync(path.join(stage, path.dirname(file)), { recursive: true })
      copyFileSync(file, path.join(stage, file))
    }
    mkdirSync(path.join(stage, 'usr/local/bin'), { recursive: true })
    copyFileSync(process.execPath, path.join(stage, 'usr/local/bin/node'))
    mkdirSync(path.join(stage, 'tmp'))
    chmodSync(path.join(stage, 'tmp'), 0o1777)
    const r = spawnSync('bash', ['-c', `tar -C "${stage}" -cf - . | docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'CMD ["/usr/local/bin/node"]' - "${tag}"`], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`docker import failed: ${r.stderr}`)
    return tag
  } finally {
    rmSync(stage, { recursive: true, force: true })
  }
}

/**
 * Writes the image's build context into `ctx` (emptied first): `Dockerfile`, and `app/` with the
 * example's sources and its run-time packages. The target profile's container form builds from it.
 */
export function prepareContext(ctx: string): string {
  rmSync(ctx, { recursive: true, force: true })
  const app = path.join(ctx, 'app')
  for (const dir of ['as', 'rs', 'lib']) cpSync(path.join(EXAMPLE, dir), path.join(app, dir), { recursive: true })
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'agent-tools-example', private: true, type: 'module' }, null, 2))
  for (const p of runtimePackages()) cpSync(path.join(ROOT, p), path.join(app, p), { recursive: true, dereference: true, filter: (src) => !src.slice(path.join(ROOT, p).length).includes('/node_modules/') })
  copyFileSync(path.join(HERE, 'Dockerfile'), path.join(ctx, 'Dockerfile'))
  return ctx
}

/** Builds the example image on the base image; returns its tag. */
export function buildImage(tag = IMAGE, base = buildBaseImage()): string {
  const ctx = prepareContext(mkdtempSync(path.join(tmpdir(), 'agent-tools-image-')))
  try {
    docker(['build', '--quiet', '--build-arg', `GATECRASH_NODE_BASE=${base}`, '-t', tag, ctx])
    return tag
  } finally {
    rmSync(ctx, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) {
  const i = process.argv.indexOf('--tag')
  const tag = buildImage(i > 0 ? process.argv[i + 1] : IMAGE)
  process.stdout.write(`built ${tag} (base ${baseTag()})\n`)
}
