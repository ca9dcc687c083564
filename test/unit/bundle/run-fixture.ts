/**
 * One real run directory per test file (a few seconds against the reference target), copied fresh
 * for each test so tampering in one cannot leak into the next; and key files as an operator would
 * make them with openssl (PEM PKCS#8 private, PEM SPKI public).
 */
import { generateKeyPairSync } from 'node:crypto'
import { cp, mkdtemp, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { runCli, scratchDir, shortScenario, writeScenario } from '../../helpers/cli.ts'

let made: Promise<string> | null = null

/** The finished run directory, made once; never modify it, take a copy(). */
export function runDir(): Promise<string> {
  made ??= (async () => {
    const dir = await scratchDir()
    const scenario = await writeScenario(dir, 'short.ts', shortScenario().replace("duration: '4s'", "duration: '2s'"))
    const out = path.join(dir, 'runs')
    const r = await runCli(['run', scenario, '--out', out], { outDir: out })
    if (!r.runDir || !r.runJson) throw new Error(`the fixture run left no run.json (exit ${r.code}):\n${r.stderr.slice(-2000)}`)
    return r.runDir
  })()
  return made
}

/** A fresh copy of the run directory, in a folder of its own. */
export async function copy(from?: string): Promise<string> {
  const src = from ?? (await runDir())
  const to = path.join(await mkdtemp(path.join(path.dirname(src), 'copy-')), path.basename(src))
  await cp(src, to, { recursive: true })
  return to
}

export interface KeyFiles {
  privateFile: string
  publicFile: string
  privatePem: string
  publicPem: string
  privateJwk: string
}

export async function keyFiles(kind: 'ed25519' | 'p256', name: string): Promise<KeyFiles> {
  const dir = await mkdtemp(path.join(await scratchDir(), 'keys-'))
  const { privateKey, publicKey } = kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const privateFile = path.join(dir, `${name}.key`)
  const publicFile = path.join(dir, `${name}.pub.pem`)
  await writeFile(privateFile, privatePem, { mode: 0o600 })
  await writeFile(publicFile, publicPem)
  return { privateFile, publicFile, privatePem, publicPem, privateJwk: JSON.stringify(privateKey.export({ format: 'jwk' })) }
}
