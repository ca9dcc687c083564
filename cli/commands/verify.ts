/**
 * `gatecrash verify <run-dir> [--key FILE] [--json]`: checks a signed run directory against the key
 * the verifier trusts: --key, or the key pinned in GATECRASH_TRUSTED_KEY (a path, or the PEM/JWK
 * itself). Never a key found in the envelope or the run directory: a self-signed bundle verifies
 * only when its bundle.pub.pem is passed explicitly, and the output then says it is self-signed.
 * Exit 0 when the signature, every digest and every evidence chain hold; 121 naming each mismatch.
 */
import { readFile } from 'node:fs/promises'
import { BundleKeyInvalid, CliUsage } from '../../harness/contracts/errors.ts'
import { loadPublicKey, type PublicKeyInfo } from '../../harness/bundle/keys.ts'
import { verifyRun } from '../../harness/bundle/verify.ts'
import { RUN_FILES } from '../../harness/run/run-dir.ts'
import { EXIT } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'

export const TRUSTED_KEY_ENV = 'GATECRASH_TRUSTED_KEY'

export async function verifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { key: { type: 'string' }, json: { type: 'boolean' } }, 'verify')
  if (positionals.length !== 1) throw new CliUsage('verify takes one run directory', { hint: 'gatecrash verify runs/<run-id> --key <public key>' })
  const dir = positionals[0]
  const trusted = await trustedKey(values.key as string | undefined, dir)
  const r = await verifyRun(dir, trusted)

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ok: r.ok, self_signed: r.selfSigned, trusted_keyid: r.trustedKeyid, signature_ok: r.signatureOk, files: r.files, chains_recomputed: r.chainsRecomputed, predicate: r.predicate, problems: r.problems }, null, 2)}\n`)
    return r.ok ? EXIT.ready : EXIT.verifyFailed
  }
  const lines: string[] = []
  if (r.ok) {
    const p = r.predicate!
    lines.push(`verified: ${dir}: run ${p.run_id} (${p.verdict}), signed ${p.created} by key ${r.trustedKeyid}; ${r.files} files unchanged, nothing added; ${r.chainsRecomputed} evidence chains recomputed and intact`)
  } else {
    lines.push(`VERIFICATION FAILED: ${dir} (trusted key ${r.trustedKeyid}):`, ...r.problems.map((p) => `  - ${p}`))
  }
  if (r.selfSigned) {
    lines.push('SELF-SIGNED: the key was generated for this bundle and its public half travels with it; this proves nothing about who ran the run or signed it, only that the files match a key you chose to trust.')
  }
  ;(r.ok ? process.stdout : process.stderr).write(`${lines.join('\n')}\n`)
  return r.ok ? EXIT.ready : EXIT.verifyFailed
}

async function trustedKey(file: string | undefined, dir: string): Promise<PublicKeyInfo> {
  if (file !== undefined) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (e) {
      throw new BundleKeyInvalid(`cannot read the trusted key ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e, hint: 'pass --key with the public key (PEM SPKI or JWK) you trust for this run' })
    }
    return loadPublicKey(text, file)
  }
  const pinned = process.env[TRUSTED_KEY_ENV]?.trim()
  if (pinned) {
    // the key itself, or the path of a file holding it
    if (pinned.startsWith('-----BEGIN') || pinned.startsWith('{')) return loadPublicKey(pinned, `$${TRUSTED_KEY_ENV}`)
    let text: string
    try {
      text = await readFile(pinned, 'utf8')
    } catch (e) {
      throw new BundleKeyInvalid(`cannot read the key file $${TRUSTED_KEY_ENV} names`, { cause: e, hint: `set ${TRUSTED_KEY_ENV} to a public key (PEM or JWK) or the path of one` })
    }
    return loadPublicKey(text, `${pinned} ($${TRUSTED_KEY_ENV})`)
  }
  throw new CliUsage('verify needs a key you trust: --key <public key file>, or one pinned in GATECRASH_TRUSTED_KEY', {
    hint: `a key inside the run directory is never trusted unasked; for a self-signed bundle pass --key ${dir}/${RUN_FILES.bundlePub} explicitly (it then proves only that the files match it)`,
  })
}
