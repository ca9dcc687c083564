/**
 * DSSE v1 (the envelope and protocol pages of github.com/secure-systems-lab/dsse), the envelope a run bundle
 * is written in, so standard tooling (securesystemslib, in-toto, sigstore/cosign) reads it without
 * gatecrash. The signature covers PAE(payloadType, payload) and not the envelope's JSON, so neither
 * the envelope's whitespace nor a payloadType swapped after signing can pass as what was signed.
 */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'

export interface DsseSignature {
  keyid: string
  /** base64 of the signature over pae(payloadType, payload bytes) */
  sig: string
}

export interface DsseEnvelope {
  payloadType: string
  /** base64 of the payload bytes */
  payload: string
  signatures: DsseSignature[]
}

/** "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, with LEN the byte length in ASCII decimal. */
export function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8')
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body])
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

/**
 * The spec lets a reader accept standard and URL-safe base64. Node's decoder accepts both but skips
 * characters it does not know, so anything else is refused here rather than silently decoded short.
 */
export function fromBase64(text: string): Buffer | null {
  return typeof text === 'string' && BASE64.test(text) ? Buffer.from(text, 'base64') : null
}

/** The envelope, or what is wrong with it (one line naming the field). */
export function parseEnvelope(text: string): DsseEnvelope | { problem: string } {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return { problem: 'not JSON' }
  }
  const e = raw as Partial<DsseEnvelope> | null
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return { problem: 'not a JSON object' }
  if (typeof e.payloadType !== 'string') return { problem: 'payloadType is missing' }
  if (typeof e.payload !== 'string' || fromBase64(e.payload) === null) return { problem: 'payload is missing or not base64' }
  if (!Array.isArray(e.signatures) || e.signatures.length === 0) return { problem: 'signatures is missing or empty' }
  for (const [i, s] of e.signatures.entries()) {
    if (typeof s !== 'object' || s === null || typeof s.sig !== 'string' || fromBase64(s.sig) === null) return { problem: `signatures.${i}.sig is missing or not base64` }
    if (s.keyid !== undefined && typeof s.keyid !== 'string') return { problem: `signatures.${i}.keyid is not a string` }
  }
  return { payloadType: e.payloadType, payload: e.payload, signatures: e.signatures.map((s) => ({ keyid: s.keyid ?? '', sig: s.sig })) }
}
