/**
 * Last line of defence for "no raw token in any artifact" (docs/architecture.md, Safety). Reporters only ever
 * receive hashes, but free text (a `why`, a transport error, a chain problem, a record's detail)
 * comes from code and targets we do not control; anything shaped like a JWT or a credential after
 * an auth scheme is blanked before it is written.
 */
const JWT = /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g
const AUTH_VALUE = /\b(Bearer|DPoP)(\s+)[A-Za-z0-9._~+/-]{20,}=*/gi

export function redact(text: string): string {
  return text.replace(JWT, '[redacted token]').replace(AUTH_VALUE, '$1$2[redacted token]')
}
