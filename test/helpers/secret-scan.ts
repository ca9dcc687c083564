/**
 * docs/architecture.md "Safety": the search for secrets in what a run leaves behind. Each secret is
 * looked for as it is, base64url-, base64- and URL-encoded, and, for a JWT, each segment that carries
 * a secret (payload, signature); a leak is reported by where and by the secret's first characters
 * only, so a failing test does not print the secret whole.
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ProvisionedIdentity } from '../../harness/population/enroll.ts'
import { exportIdentityKey } from '../../harness/protocol/identity-key.ts'

/** What a run holds for each identity it enrolled: its access token, its private key `d`, its RFC 7592 registration access token. */
export function addIdentitySecrets(identities: Iterable<ProvisionedIdentity>, into: Set<string>): void {
  for (const i of identities) {
    into.add(i.credential.accessToken)
    into.add(exportIdentityKey(i.credential.key).split('.')[0])
    if (i.registration.registrationAccessToken) into.add(i.registration.registrationAccessToken)
  }
}

/** every file below `dir` (the run store included); none when it does not exist */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
}

/** The forms a secret may take in text: as is, base64url, base64, URL-encoded; a JWT's secret-bearing segments too. */
export function formsOf(secret: string): string[] {
  const forms = new Set([secret, Buffer.from(secret).toString('base64url'), Buffer.from(secret).toString('base64'), encodeURIComponent(secret)])
  const segments = secret.split('.')
  if (segments.length === 3) for (const s of segments.slice(1)) if (s.length >= 16) forms.add(s)
  return [...forms]
}

/** `[where, text]` for each file below each dir, read as latin1 so binary files (run.db) are searched too */
export async function textsUnder(...dirs: string[]): Promise<[string, string][]> {
  const texts: [string, string][] = []
  for (const dir of dirs) for (const f of await filesUnder(dir)) texts.push([f, (await readFile(f)).toString('latin1')])
  return texts
}

/** Each place a form of a secret appears, as `where: a secret (abcdef…, as is | an encoded form)`. */
export function leaksOf(secrets: Iterable<string>, texts: readonly [string, string][]): string[] {
  const leaks: string[] = []
  for (const secret of secrets) {
    for (const form of formsOf(secret)) {
      for (const [where, text] of texts) if (text.includes(form)) leaks.push(`${where}: a secret (${secret.slice(0, 6)}…, as ${form === secret ? 'is' : 'an encoded form'})`)
    }
  }
  return leaks
}
