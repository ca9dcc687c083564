/**
 * `gatecrash verify`: does a signed run directory still hold what was signed, under a key the
 * verifier trusts? The trusted key always comes from the verifier (a file, or a pinned key); a key
 * carried in the envelope or the run directory is never used unasked, since whoever edits the
 * files can replace it too. Every mismatch is collected, not just the first: the signature, each
 * file changed, removed or added, and the evidence chains (recheck-chains.ts).
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { RunJson } from '../contracts/run-json.ts'
import { RUN_FILES } from '../run/run-dir.ts'
import { fromBase64, IN_TOTO_PAYLOAD_TYPE, pae, parseEnvelope } from './dsse.ts'
import { insideRunDir, listRunFiles, sha256File } from './files.ts'
import { loadPublicKey, verifyBytes, type PublicKeyInfo } from './keys.ts'
import { recheckChains } from './recheck-chains.ts'
import { parseStatement, type RunBundlePredicate } from './statement.ts'

export interface VerifyResult {
  ok: boolean
  /** one line per mismatch, each naming the file, signature or chain at fault */
  problems: string[]
  /** the signature verified with the trusted key */
  signatureOk: boolean
  /**
   * the predicate says self-signed, or the trusted key is the one the run directory carries: either
   * way the signature says nothing about who signed
   */
  selfSigned: boolean
  trustedKeyid: string
  predicate: RunBundlePredicate | null
  files: number
  chainsRecomputed: number
}

export async function verifyRun(dir: string, trusted: PublicKeyInfo): Promise<VerifyResult> {
  const problems: string[] = []
  const out = { signatureOk: false, selfSigned: false, trustedKeyid: trusted.keyid, predicate: null as RunBundlePredicate | null, files: 0, chainsRecomputed: 0 }
  const done = (): VerifyResult => ({ ok: problems.length === 0, problems, ...out })

  let text: string
  try {
    text = await readFile(path.join(dir, RUN_FILES.bundle), 'utf8')
  } catch {
    problems.push(`${RUN_FILES.bundle}: missing; the run directory is not signed (gatecrash bundle sign)`)
    return done()
  }
  const envelope = parseEnvelope(text)
  if ('problem' in envelope) {
    problems.push(`${RUN_FILES.bundle}: not a DSSE envelope: ${envelope.problem}`)
    return done()
  }
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) problems.push(`${RUN_FILES.bundle}: payloadType is ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`)
  const payload = fromBase64(envelope.payload)!
  const signed = pae(envelope.payloadType, payload)
  out.signatureOk = envelope.signatures.some((s) => verifyBytes(trusted, signed, fromBase64(s.sig)!))
  if (!out.signatureOk) {
    const by = [...new Set(envelope.signatures.map((s) => s.keyid || '(no keyid)'))].join(', ')
    problems.push(`signature: none verifies with the trusted key ${trusted.keyid} (the envelope names ${by}); the files may have been re-signed by someone else`)
  }
  out.selfSigned = await carriedKeyid(dir) === trusted.keyid

  const statement = parseStatement(payload)
  if ('problem' in statement) {
    problems.push(`${RUN_FILES.bundle}: ${statement.problem}`)
    return done()
  }
  out.predicate = statement.predicate
  if (statement.predicate.key === 'self-signed') out.selfSigned = true

  // The files, against the subjects (checked even when the signature failed: the report should
  // name what changed, though an unverified list proves nothing by itself).
  const { files, special } = await listRunFiles(dir)
  const onDisk = new Set(files)
  const subjects = new Set<string>()
  for (const s of statement.subject) {
    const file = insideRunDir(dir, s.name)
    if (file === null) {
      problems.push(`subject ${JSON.stringify(s.name)}: not a path inside the run directory`)
      continue
    }
    subjects.add(s.name)
    if (!onDisk.has(s.name)) {
      problems.push(`removed: ${s.name}`)
      continue
    }
    out.files++
    if ((await sha256File(file)) !== s.digest.sha256) problems.push(`changed: ${s.name} (its sha256 is not the one signed)`)
  }
  for (const name of files) if (!subjects.has(name)) problems.push(`added: ${name} (not in the signed statement)`)
  for (const name of special) problems.push(`added: ${name} (not a regular file)`)

  // Evidence: read from the files as they are; when a digest failed above this says what the
  // altered files claim, which the digest problem already disqualifies.
  let run: RunJson | null = null
  try {
    run = JSON.parse(await readFile(path.join(dir, RUN_FILES.runJson), 'utf8')) as RunJson
  } catch {
    if (onDisk.has(RUN_FILES.runJson)) problems.push(`${RUN_FILES.runJson}: not readable JSON, so its evidence chains cannot be checked`)
  }
  if (run) {
    if (statement.predicate.run_id !== run.run_id) problems.push(`${RUN_FILES.runJson}: run id ${run.run_id} is not the signed ${statement.predicate.run_id}`)
    const chains = await recheckChains(dir, run)
    out.chainsRecomputed = chains.recomputed
    problems.push(...chains.problems)
  }
  return done()
}

/** The keyid of the public key a self-signed bundle carries, to recognise it when a verifier passes it. */
async function carriedKeyid(dir: string): Promise<string | null> {
  try {
    return loadPublicKey(await readFile(path.join(dir, RUN_FILES.bundlePub), 'utf8'), RUN_FILES.bundlePub).keyid
  } catch {
    return null
  }
}
