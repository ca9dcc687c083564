/**
 * The workforce IdP's stable key (`gatecrash idp init`): an AS the user configures by hand trusts
 * one issuer and key set, so the key must survive runs. It lives in the user's config folder (or a
 * path the profile names), mode 0600, never inside the project (a key in a repository leaks).
 */
import type { JsonWebKey } from 'node:crypto'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import path from 'node:path'
import { ProfileInvalid } from '../contracts/errors.ts'
import type { IdentityKey } from '../contracts/identity.ts'
import { generateIdentityKey, importIdentityKey } from '../protocol/identity-key.ts'

/** `$XDG_CONFIG_HOME/gatecrash/workforce-idp.jwk`, else `~/.config/gatecrash/workforce-idp.jwk`. */
export function defaultIdpKeyFile(): string {
  const base = process.env.XDG_CONFIG_HOME || path.join(homedir(), '.config')
  return path.join(base, 'gatecrash', 'workforce-idp.jwk')
}

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/**
 * Writes a new key to `file` unless one is there (then it is read and kept: the AS already trusts
 * it). Refuses a path inside `projectDir`.
 */
export async function initIdpKey(file: string, projectDir: string): Promise<{ key: IdentityKey; created: boolean }> {
  const abs = path.resolve(file)
  if (inside(path.resolve(projectDir), abs)) {
    throw new ProfileInvalid(`the workforce IdP key may not live inside the project (${abs})`, {
      key: 'principals.idp.keyFile',
      hint: `use the default (${defaultIdpKeyFile()}) or a path outside ${path.resolve(projectDir)}: a private key in a repository leaks`,
    })
  }
  try {
    return { key: await readIdpKey(abs), created: false }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  const key = generateIdentityKey()
  const d = key.privateKey.export({ format: 'jwk' }).d
  await mkdir(path.dirname(abs), { recursive: true, mode: 0o700 })
  await writeFile(abs, `${JSON.stringify({ ...key.publicJwk, d, kid: key.kid, alg: 'ES256', use: 'sig' })}\n`, { mode: 0o600, flag: 'wx' })
  return { key, created: true }
}

/** Reads the key; a file others can read is refused (it signs every principal's subject token). */
export async function readIdpKey(file: string): Promise<IdentityKey> {
  const s = await stat(file)
  if ((s.mode & 0o077) !== 0) {
    throw new ProfileInvalid(`the workforce IdP key ${file} is readable by others (mode ${(s.mode & 0o777).toString(8)})`, {
      key: 'principals.idp.keyFile',
      hint: `chmod 600 ${file}`,
    })
  }
  const jwk = JSON.parse(await readFile(file, 'utf8')) as JsonWebKey
  try {
    return importIdentityKey(jwk)
  } catch (e) {
    throw new ProfileInvalid(`${file} is not a P-256 private JWK: ${(e as Error).message}`, { key: 'principals.idp.keyFile', hint: 'write it with `npx gatecrash idp init`' })
  }
}
