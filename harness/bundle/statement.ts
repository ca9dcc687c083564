/**
 * The payload of a run bundle: an in-toto Statement v1 (github.com/in-toto/attestation, spec/v1),
 * one subject per file of the run directory, and a gatecrash predicate saying which run it is and
 * who (as far as the signer claims) signed it. The claim about the key is signed too, so a
 * self-signed bundle cannot later be presented as signed by an organisation.
 */
import type { RunVerdict } from '../contracts/run-json.ts'

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
export const PREDICATE_TYPE = 'https://gatecrash.dev/run-bundle/v1'

export const SELF_SIGNED_NOTE = 'self-signed: the key was generated for this bundle alone, so the signature shows the files are unchanged since signing and nothing about who ran the run or signed it'

export interface Subject {
  /** path relative to the run directory, `/`-separated */
  name: string
  digest: { sha256: string }
}

export interface RunBundlePredicate {
  run_id: string
  verdict: RunVerdict
  /** the gatecrash version that made the run (run.json tool.version) */
  gatecrash_version: string
  /** the grader that graded it (run.json tool.grader; 1 before it was recorded) */
  grader_version: number
  /** when the bundle was signed */
  created: string
  /** the gatecrash version that signed it */
  signed_with: string
  /** `organisation`: a key the signer brought; `self-signed`: one generated for this bundle */
  key: 'organisation' | 'self-signed'
  keyid: string
  note?: string
}

export interface Statement {
  _type: typeof STATEMENT_TYPE
  subject: Subject[]
  predicateType: typeof PREDICATE_TYPE
  predicate: RunBundlePredicate
}

/** The statement, or what is wrong with it; subjects are checked against the disk elsewhere. */
export function parseStatement(payload: Buffer): Statement | { problem: string } {
  let s: Partial<Statement> | null
  try {
    s = JSON.parse(payload.toString('utf8'))
  } catch {
    return { problem: 'the payload is not JSON' }
  }
  if (typeof s !== 'object' || s === null) return { problem: 'the payload is not a JSON object' }
  if (s._type !== STATEMENT_TYPE) return { problem: `the payload's _type is ${JSON.stringify(s._type)}, not ${STATEMENT_TYPE}` }
  if (s.predicateType !== PREDICATE_TYPE) return { problem: `predicateType is ${JSON.stringify(s.predicateType)}, not ${PREDICATE_TYPE}` }
  if (!Array.isArray(s.subject)) return { problem: 'the statement has no subject list' }
  for (const [i, sub] of s.subject.entries()) {
    if (typeof sub?.name !== 'string' || typeof sub?.digest?.sha256 !== 'string') return { problem: `subject.${i} has no name or no sha256 digest` }
  }
  if (typeof s.predicate !== 'object' || s.predicate === null) return { problem: 'the statement has no predicate' }
  return s as Statement
}
