/**
 * Last line of defence for "no raw credential in any artifact or log" (docs/architecture.md,
 * Safety). Reporters only ever receive hashes, but free text (a `why`, a transport error, a record's
 * detail, the output of a deployment the harness started) comes from code and targets we do not
 * control.
 *
 * `redact(text)` blanks what looks like a credential without knowing it: anything JWT-shaped, a
 * value after an auth scheme (`Bearer`, `DPoP`, `Basic`), and the value of an OAuth credential
 * parameter (`subject_token=…`, `"client_assertion": "…"`).
 *
 * A `Redactor` also blanks the run's known secrets, registered with it (the initial access token,
 * private JWK members, subject tokens…), each in the forms a third-party server may log it in:
 * plain, base64url and base64 (also inside a longer encoded blob, at any byte alignment), and
 * URL-encoded (either hex case, `+` for spaces too); a private JWK member also as its raw bytes in
 * base64 and hex.
 *
 * Lives in protocol/ so that harness/ (which never imports reports/) and reports/ share it.
 *
 * @example
 * const redactor = new Redactor().register(initialAccessToken).registerJwk(privateJwk)
 * logFile.write(redactor.redact(line))   // known secrets, then JWTs and auth values
 * redact('Authorization: Bearer abcdefghijklmnopqrstuvwxyz')   // 'Authorization: Bearer [redacted token]'
 */
const JWT = /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g
const AUTH_VALUE = /\b(Bearer|DPoP)(\s+)[A-Za-z0-9._~+/-]{20,}=*/gi
/** `Basic` takes a longer value first so that prose ("Basic authentication") stays readable */
const BASIC_VALUE = /\b(Basic)(\s+)[A-Za-z0-9+/]{16,}=*/gi
/** OAuth parameters whose value is a credential, in a form body, a query string or JSON */
const CREDENTIAL_PARAM =
  /\b(access_token|refresh_token|id_token|subject_token|actor_token|client_secret|client_assertion|initial_access_token|registration_access_token|private_key)(["']?\s*[=:]\s*["']?)[A-Za-z0-9._~+/%-]{8,}=*/gi

export const REDACTED_TOKEN = '[redacted token]'
export const REDACTED_SECRET = '[redacted secret]'

/** Blanks anything credential-shaped: JWTs, values after an auth scheme, OAuth credential parameters. */
export function redact(text: string): string {
  return text
    .replace(JWT, REDACTED_TOKEN)
    .replace(AUTH_VALUE, `$1$2${REDACTED_TOKEN}`)
    .replace(BASIC_VALUE, `$1$2${REDACTED_TOKEN}`)
    .replace(CREDENTIAL_PARAM, `$1$2${REDACTED_TOKEN}`)
}

/**
 * What credential-shaped text `text` holds, by kind (the patterns redact() blanks): for a check that
 * must say a record holds one without repeating it. [] when none.
 */
export function credentialShapes(text: string): string[] {
  const kinds: [RegExp, string][] = [[JWT, 'a JWT'], [AUTH_VALUE, 'an Authorization value'], [BASIC_VALUE, 'a Basic credential'], [CREDENTIAL_PARAM, 'an OAuth credential parameter']]
  // the patterns are global: a fresh lastIndex per test, so a match never depends on the call before
  return kinds.filter(([re]) => ((re.lastIndex = 0), re.test(text))).map(([, kind]) => kind)
}

/** the shortest secret (and the shortest encoded form of one) a Redactor accepts: shorter would blank ordinary words */
export const MIN_SECRET_LENGTH = 8

/** JWK members that hold private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1) */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')

/** a URL-encoded form as a pattern: `%2f` and `%2F` both match */
function percentPattern(encoded: string): string {
  return encoded
    .split(/(%[0-9A-F]{2})/)
    .map((part) => (/^%[0-9A-F]{2}$/.test(part) ? `%[${part[1]}${part[1].toLowerCase()}][${part[2]}${part[2].toLowerCase()}]` : escapeRegExp(part)))
    .join('')
}

/**
 * The base64 (or base64url) text that `bytes` contribute to any encoded blob holding them, at each
 * of the three byte alignments: the characters that also carry bits of neighbouring bytes are left
 * off, so the core matches wherever the secret sits (inside `Basic base64(id:secret)`, inside an
 * encoded JSON document…). At alignment 0 the whole unpadded form is kept as well.
 */
function base64Forms(bytes: Buffer, alphabet: 'base64' | 'base64url'): string[] {
  const out: string[] = []
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString(alphabet).replace(/=+$/, '')
    const lead = Math.ceil((shift * 8) / 6)
    const trail = (shift + bytes.length) % 3 === 0 ? 0 : 1
    if (shift === 0) out.push(encoded)
    out.push(encoded.slice(lead, encoded.length - trail))
  }
  return out
}

function formUrlEncode(s: string): string {
  return new URLSearchParams({ v: s }).toString().slice(2)
}

export class Redactor {
  /** every form of every secret, as a regular expression source */
  readonly #patterns = new Set<string>()
  #combined: RegExp | null = null

  /** how many secrets-and-forms it blanks (for tests and diagnostics) */
  get size(): number {
    return this.#patterns.size
  }

  #add(pattern: string, length: number): void {
    if (length < MIN_SECRET_LENGTH) return
    this.#patterns.add(pattern)
    this.#combined = null
  }

  #addLiteral(form: string): void {
    this.#add(escapeRegExp(form), form.length)
  }

  #addBytes(bytes: Buffer): void {
    for (const alphabet of ['base64url', 'base64'] as const) {
      for (const form of base64Forms(bytes, alphabet)) {
        this.#addLiteral(form)
        if (alphabet === 'base64') this.#add(percentPattern(encodeURIComponent(form)), form.length)
      }
    }
  }

  /** Blanks `secret` from now on, plain and encoded. A TypeError for a secret shorter than MIN_SECRET_LENGTH. */
  register(secret: string): this {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new TypeError(`a secret to redact must be a string of at least ${MIN_SECRET_LENGTH} characters`)
    }
    this.#addLiteral(secret)
    for (const encoded of new Set([encodeURIComponent(secret), formUrlEncode(secret)])) {
      if (encoded !== secret) this.#add(percentPattern(encoded), encoded.length)
    }
    this.#addBytes(Buffer.from(secret, 'utf8'))
    return this
  }

  /**
   * Blanks the private members of a JWK (`d`, and `p`, `q`, `dp`, `dq`, `qi` or `k` where present):
   * each as text, and its key bytes in base64 and hex.
   */
  registerJwk(jwk: object): this {
    for (const member of PRIVATE_JWK_MEMBERS) {
      const value = (jwk as Record<string, unknown>)[member]
      if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) continue
      this.register(value)
      const bytes = Buffer.from(value, 'base64url')
      this.#addBytes(bytes)
      const hex = bytes.toString('hex')
      this.#add(`(?:${escapeRegExp(hex)}|${escapeRegExp(hex.toUpperCase())})`, hex.length)
    }
    return this
  }

  /** The known secrets blanked in every form, then anything credential-shaped (`redact`). */
  redact(text: string): string {
    if (this.#patterns.size > 0) {
      // longest first: a whole form wins over its alignment core
      this.#combined ??= new RegExp([...this.#patterns].sort((a, b) => b.length - a.length).join('|'), 'g')
      text = text.replace(this.#combined, REDACTED_SECRET)
    }
    return redact(text)
  }
}
