/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1, §11.2) and OAuth error extraction, used by the
 * oracle's attempt records (`error_code`, `challenge_scheme`) and by the OAuth client.
 *
 *   WWW-Authenticate = #challenge
 *   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *
 * Challenges and their parameters share the comma as separator, so a comma followed by
 * `name=` continues the current challenge while a comma followed by a bare token starts a new one.
 *
 * @example
 *   parseWwwAuthenticate('DPoP error="invalid_dpop_proof", algs="ES256", Bearer realm="x"')
 *   // [{ scheme: 'DPoP', params: { error: 'invalid_dpop_proof', algs: 'ES256' } }, { scheme: 'Bearer', params: { realm: 'x' } }]
 */
import type { HttpHeaders } from './http.ts'

export interface Challenge {
  /** as sent; compare case-insensitively (RFC 9110 §11.1) */
  scheme: string
  /** parameter names lower-cased (case-insensitive per §11.2); the first of a repeated name wins */
  params: Record<string, string>
  token68?: string
}

// RFC 9110 §5.6.2 tchar
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*(?=[ \t]*(,|$))/

export function parseWwwAuthenticate(value: string | string[] | undefined | null): Challenge[] {
  if (value == null) return []
  const s = Array.isArray(value) ? value.join(', ') : value
  const out: Challenge[] = []
  let current: Challenge | null = null
  let i = 0
  const skip = (chars: string) => {
    while (i < s.length && chars.includes(s[i])) i++
  }
  const token = () => {
    const start = i
    while (i < s.length && TCHAR.test(s[i])) i++
    return s.slice(start, i)
  }
  while (i < s.length) {
    skip(' \t,')
    if (i >= s.length) break
    const name = token()
    if (name === '') {
      i++ // not a token character: skip it rather than loop forever on malformed input
      continue
    }
    const afterName = i
    skip(' \t')
    if (current !== null && s[i] === '=') {
      i++
      skip(' \t')
      const value = s[i] === '"' ? quoted() : token()
      const key = name.toLowerCase()
      if (!(key in current.params)) current.params[key] = value
      continue
    }
    i = afterName
    current = { scheme: name, params: {} }
    out.push(current)
    skip(' \t')
    const t68 = TOKEN68.exec(s.slice(i))
    if (t68) {
      current.token68 = t68[0]
      i += t68[0].length
    }
  }
  return out

  function quoted(): string {
    let v = ''
    i++ // opening quote
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++ // quoted-pair (§5.6.4): keep the escaped octet
      v += s[i++]
    }
    i++ // closing quote
    return v
  }
}

function wwwAuthenticateOf(headers: HttpHeaders | Headers): string | string[] | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get('www-authenticate') ?? undefined
  return (headers as HttpHeaders)['www-authenticate']
}

/** The scheme of the first challenge (`DPoP`, `Bearer`), or null without a challenge. */
export function challengeSchemeOf(headers: HttpHeaders | Headers): string | null {
  return parseWwwAuthenticate(wwwAuthenticateOf(headers))[0]?.scheme ?? null
}

/**
 * The OAuth `error` code of a response: from the challenges first (RFC 6750 §3, RFC 9449 §7.1),
 * else from a JSON body (RFC 6749 §5.2). Returns null when neither carries one (RFC 6750 §3.1:
 * a request without credentials gets a challenge without an error code).
 *
 * A server offering two schemes may put the error on the second (`DPoP algs="ES256", Bearer
 * error="invalid_token"`), so the first challenge that HAS an `error` param wins.
 */
export function oauthErrorOf(headers: HttpHeaders | Headers, body: unknown): string | null {
  for (const c of parseWwwAuthenticate(wwwAuthenticateOf(headers))) if (c.params.error) return c.params.error
  let json = body
  if (typeof body === 'string') {
    try {
      json = JSON.parse(body)
    } catch {
      return null
    }
  }
  if (json !== null && typeof json === 'object' && typeof (json as { error?: unknown }).error === 'string') {
    return (json as { error: string }).error
  }
  return null
}
