/**
 * `gatecrash bundle sign <run-dir> [--key FILE | --key-env VAR] [--force]`: sign a finished run
 * directory (harness/bundle/sign.ts). The report's signature note is rewritten here, before the
 * digests, because rendering markdown is the reports' business and the engine never imports them.
 * No key: a self-signed bundle, said loudly, since it proves nothing about who ran the run.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { BundleKeyInvalid, CliUsage } from '../../harness/contracts/errors.ts'
import { signRun, type SignerInfo } from '../../harness/bundle/sign.ts'
import { RUN_FILES } from '../../harness/run/run-dir.ts'
import { signedNote, withNote } from '../../reports/bundle-note.ts'
import { EXIT } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'

const USAGE_HINT = 'gatecrash bundle sign runs/<run-id> [--key bundle.key | --key-env VAR] [--force]'

export async function bundleCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args
  if (sub !== 'sign') throw new CliUsage(`unknown bundle subcommand '${sub ?? ''}'`, { hint: USAGE_HINT })
  const { values, positionals } = parseFlags(rest, { key: { type: 'string' }, 'key-env': { type: 'string' }, force: { type: 'boolean' } }, 'bundle sign')
  if (positionals.length !== 1) throw new CliUsage('bundle sign takes one run directory', { hint: USAGE_HINT })
  if (values.key !== undefined && values['key-env'] !== undefined) throw new CliUsage('bundle sign takes --key or --key-env, not both', { hint: USAGE_HINT })
  const dir = positionals[0]
  const key = await readKey(values.key as string | undefined, values['key-env'] as string | undefined)

  const result = await signRun(dir, { key, force: Boolean(values.force), beforeDigests: (s) => noteInReport(dir, s) })
  const rel = (f: string): string => path.relative(process.cwd(), f) || f
  const lines = [`${result.replaced ? 're-signed' : 'signed'} ${result.subjects} files of ${rel(dir)} into ${rel(result.envelopeFile)} (${result.keyType}, keyid ${result.keyid})`]
  if (result.selfSigned) {
    lines.push(
      'SELF-SIGNED: no --key was given, so a key was generated for this bundle alone. It proves nothing about who ran',
      'the run or signed it; it shows only that the files are unchanged since signing, to whoever kept its public key:',
      `  ${rel(result.publicKeyFile!)}  (verify with: gatecrash verify ${rel(dir)} --key <a copy of it kept elsewhere>)`,
      'Sign with an organisation key (--key or --key-env) for a bundle that says who vouches for the run.',
    )
  } else {
    lines.push(`verify with: gatecrash verify ${rel(dir)} --key <the organisation's public key>`)
  }
  process.stdout.write(`${lines.join('\n')}\n`)
  return EXIT.ready
}

async function readKey(file: string | undefined, envVar: string | undefined): Promise<{ text: string; from: string } | undefined> {
  if (file !== undefined) {
    try {
      return { text: await readFile(file, 'utf8'), from: file }
    } catch (e) {
      throw new BundleKeyInvalid(`cannot read the signing key ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e, hint: 'pass --key with a readable PEM (PKCS#8) or JWK private key file' })
    }
  }
  if (envVar !== undefined) {
    const text = process.env[envVar]
    if (!text) throw new BundleKeyInvalid(`$${envVar} is unset or empty`, { hint: `put the PEM or JWK private key in $${envVar}, or pass --key FILE` })
    return { text, from: `$${envVar}` }
  }
  return undefined
}

/** Replaces the report's signature note; a run without a report (a reporter turned off) just has none. */
async function noteInReport(dir: string, s: SignerInfo): Promise<void> {
  const file = path.join(dir, RUN_FILES.report)
  let md: string
  try {
    md = await readFile(file, 'utf8')
  } catch {
    return
  }
  await writeFile(file, withNote(md, signedNote({ ...s, envelope: RUN_FILES.bundle, publicKey: RUN_FILES.bundlePub })))
}
