/**
 * `gatecrash bundle sign`: the last thing done to a run directory. The run store is settled into
 * one file, the caller gets a last say on the files (the report's signature note), then every file
 * is digested into an in-toto statement and signed into a DSSE envelope beside them. After this,
 * any change to the directory (a byte, a file removed or added) shows in `gatecrash verify`.
 *
 * Without a key, a fresh one is generated and only its public half kept: the bundle then proves the
 * files are unchanged since signing, to whoever trusts that public key, and nothing about who ran
 * the run; the predicate, the report and the console say so.
 */
import { access, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { BundleRefused } from '../contracts/errors.ts'
import type { RunJson } from '../contracts/run-json.ts'
import { RUN_FILES } from '../run/run-dir.ts'
import { TOOL_VERSION } from '../run/version.ts'
import { IN_TOTO_PAYLOAD_TYPE, pae, type DsseEnvelope } from './dsse.ts'
import { listRunFiles, sha256File } from './files.ts'
import { generateSigningKey, loadSigningKey, publicKeyPem, signBytes, type BundleKeyType } from './keys.ts'
import { settleRunStore } from './settle-store.ts'
import { PREDICATE_TYPE, SELF_SIGNED_NOTE, STATEMENT_TYPE, type RunBundlePredicate, type Statement, type Subject } from './statement.ts'

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false)

export interface SignerInfo {
  selfSigned: boolean
  keyid: string
  keyType: BundleKeyType
  created: string
}

export interface SignOptions {
  /** the private key's text and where it came from (a path or `$VAR`, for messages); absent: self-signed */
  key?: { text: string; from: string }
  /** re-sign a signed directory, replacing its envelope */
  force?: boolean
  now?: Date
  /** called after the store is settled and before any digest: the last chance to change a file */
  beforeDigests?: (signer: SignerInfo) => Promise<void>
}

export interface SignResult extends SignerInfo {
  envelopeFile: string
  /** the carried public key of a self-signed bundle */
  publicKeyFile: string | null
  subjects: number
  replaced: boolean
}

async function readRunJson(dir: string): Promise<RunJson> {
  try {
    return JSON.parse(await readFile(path.join(dir, RUN_FILES.runJson), 'utf8')) as RunJson
  } catch (e) {
    throw new BundleRefused(`${dir} is not a finished run directory (no readable ${RUN_FILES.runJson})`, {
      cause: e,
      hint: `sign a run directory \`gatecrash run\` finished; a run that died midway can be graded first with \`gatecrash report ${dir}\``,
    })
  }
}

export async function signRun(dir: string, options: SignOptions = {}): Promise<SignResult> {
  const run = await readRunJson(dir)
  const envelopeFile = path.join(dir, RUN_FILES.bundle)
  const replaced = await exists(envelopeFile)
  if (replaced && !options.force) {
    throw new BundleRefused(`${dir} is signed already (${RUN_FILES.bundle})`, { hint: 'verify it with `gatecrash verify`, or re-sign with --force, which replaces the envelope' })
  }
  const key = options.key ? loadSigningKey(options.key.text, options.key.from) : generateSigningKey()
  const signer: SignerInfo = { selfSigned: !options.key, keyid: key.keyid, keyType: key.type, created: (options.now ?? new Date()).toISOString() }

  await settleRunStore(dir)
  await refuseSpecialEntries(dir)
  await options.beforeDigests?.(signer)
  // A carried public key from an earlier self-signed signature would now vouch for nothing.
  const publicKeyFile = path.join(dir, RUN_FILES.bundlePub)
  await rm(publicKeyFile, { force: true })

  const { files } = await listRunFiles(dir)
  const subject: Subject[] = []
  for (const name of files) subject.push({ name, digest: { sha256: await sha256File(path.join(dir, ...name.split('/'))) } })

  const predicate: RunBundlePredicate = {
    run_id: run.run_id,
    verdict: run.verdict,
    gatecrash_version: run.tool?.version,
    grader_version: run.tool?.grader ?? 1,
    created: signer.created,
    signed_with: TOOL_VERSION,
    key: signer.selfSigned ? 'self-signed' : 'organisation',
    keyid: key.keyid,
    ...(signer.selfSigned ? { note: SELF_SIGNED_NOTE } : {}),
  }
  const statement: Statement = { _type: STATEMENT_TYPE, subject, predicateType: PREDICATE_TYPE, predicate }
  const payload = Buffer.from(JSON.stringify(statement), 'utf8')
  const envelope: DsseEnvelope = {
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    payload: payload.toString('base64'),
    signatures: [{ keyid: key.keyid, sig: signBytes(key, pae(IN_TOTO_PAYLOAD_TYPE, payload)).toString('base64') }],
  }
  await writeFile(envelopeFile, `${JSON.stringify(envelope, null, 2)}\n`)
  if (signer.selfSigned) await writeFile(publicKeyFile, publicKeyPem(key))
  return { ...signer, envelopeFile, publicKeyFile: signer.selfSigned ? publicKeyFile : null, subjects: subject.length, replaced }
}

/** Checked before the report is touched, so a refusal leaves the directory as it was. */
async function refuseSpecialEntries(dir: string): Promise<void> {
  const { special } = await listRunFiles(dir)
  if (special.length > 0) {
    throw new BundleRefused(`${dir} holds entries that are neither files nor folders: ${special.join(', ')}`, { hint: 'a symlink could change without the run directory changing; replace it with the file itself' })
  }
}
