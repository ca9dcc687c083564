/**
 * TLS to a target, as a target profile states it once (`tls: { ca: '<path>' }`,
 * TargetTlsOptions in contracts/target.ts), and what a TLS failure tells the user. Shared by the
 * load pool (harness/load/http1-pool.ts) and the off-hot-path helper (./http.ts), so both trust
 * the same roots and explain a failure the same way.
 *
 * The CA file is read and its SecureContext built once per file (tls.connect with a `ca` option
 * would build a new context, parsing every certificate, on each connection). Without a CA file
 * the roots are Node's own plus the system's (tls.getCACertificates 'default' and 'system').
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { createSecureContext, getCACertificates, type SecureContext } from 'node:tls'
import { TargetTlsFailed } from '../contracts/errors.ts'
import type { TargetTlsOptions } from '../contracts/target.ts'

export interface LoadedTls {
  /** the CA file as given (null: Node's and the system's roots) */
  caFile: string | null
  /** the PEM certificates trusted */
  ca: string[]
  secureContext: SecureContext
}

const loaded = new Map<string, LoadedTls>()

/** The trust a profile's `tls` option asks for, read once per CA file; an unreadable or empty file is ERR_TARGET_TLS. */
export function loadTls(options: TargetTlsOptions | undefined): LoadedTls {
  const caFile = options?.ca ?? null
  const key = caFile === null ? '' : path.resolve(caFile)
  const hit = loaded.get(key)
  if (hit !== undefined) return hit
  let ca: string[]
  if (caFile === null) {
    ca = [...new Set([...getCACertificates('default'), ...getCACertificates('system')])]
  } else {
    let text: string
    try {
      text = readFileSync(caFile, 'utf8')
    } catch (cause) {
      throw new TargetTlsFailed(`cannot read the CA file ${caFile}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, {
        cause,
        hint: "the target profile's tls.ca names a PEM file holding the CA certificate(s) that sign the target's server certificates; the path is relative to the working directory",
      })
    }
    ca = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
    if (ca.length === 0) throw new TargetTlsFailed(`the CA file ${caFile} holds no PEM certificate`, { hint: 'tls.ca must be a PEM file with one or more "-----BEGIN CERTIFICATE-----" blocks (not a key, not DER)' })
  }
  let secureContext: SecureContext
  try {
    secureContext = createSecureContext({ ca })
  } catch (cause) {
    throw new TargetTlsFailed(`the CA file ${caFile ?? '(system roots)'} could not be used: ${(cause as Error).message}`, { cause, hint: 'check that tls.ca is a valid PEM certificate file' })
  }
  const out = { caFile, ca, secureContext }
  loaded.set(key, out)
  return out
}

export type TlsFailureKind = 'untrusted' | 'name' | 'expired' | 'handshake' | 'timeout'

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
])
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'])

/** What kind of TLS failure a socket error is, or null when it is not a TLS one (ECONNREFUSED…). */
export function tlsFailureKind(err: unknown): TlsFailureKind | null {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return null
  if (UNTRUSTED.has(code)) return 'untrusted'
  if (EXPIRED.has(code)) return 'expired'
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'name'
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') return 'handshake'
  return null
}

/** The stable code the load pool gives each kind (HttpTransportError.code, the attempt's transport_error). */
export const TLS_ERROR_CODES: Record<TlsFailureKind, string> = {
  untrusted: 'HTTP_TLS_UNTRUSTED',
  name: 'HTTP_TLS_NAME_MISMATCH',
  expired: 'HTTP_TLS_CERT_EXPIRED',
  handshake: 'HTTP_TLS_HANDSHAKE',
  timeout: 'HTTP_TLS_HANDSHAKE_TIMEOUT',
}

/** One line for the user: what failed, for which origin, against which CA file, and what to do. */
export function tlsFailureMessage(kind: TlsFailureKind, origin: string, caFile: string | null, detail: string): { message: string; hint: string } {
  const trust = caFile === null ? "Node's and the system's root CAs" : `the CA file ${caFile}`
  switch (kind) {
    case 'untrusted':
      return {
        message: `TLS to ${origin}: the server's certificate is not signed by ${trust} (${detail})`,
        hint: caFile === null ? `name the CA that signs ${origin}'s certificate in the target profile: tls: { ca: '<path to its PEM file>' }` : `check that ${caFile} holds the CA that signed ${origin}'s certificate (openssl s_client -connect <host:port> -showcerts shows the chain)`,
      }
    case 'name':
      return {
        message: `TLS to ${origin}: the server's certificate is not for this host name (${detail})`,
        hint: `use the host name the certificate was issued for in the target's URLs, or reissue the certificate with ${new URL(origin).hostname} in its subjectAltName (trusting ${trust})`,
      }
    case 'expired':
      return { message: `TLS to ${origin}: the server's certificate is expired or not yet valid (${detail})`, hint: `renew the target's certificate, or check this machine's clock (trusting ${trust})` }
    case 'timeout':
      return { message: `TLS to ${origin}: no TLS handshake within the timeout (${detail})`, hint: `is ${origin} speaking TLS on that port, and reachable? (trusting ${trust})` }
    case 'handshake':
      return { message: `TLS to ${origin}: the handshake failed (${detail})`, hint: `is ${origin} speaking TLS (https) on that port, with HTTP/1.1 allowed? (trusting ${trust})` }
  }
}
