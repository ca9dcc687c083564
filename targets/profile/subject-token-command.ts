/**
 * Principals' subject tokens from a command the profile names (principals.command), for an AS that
 * trusts the user's own IdP instead of the harness's: the command is typically that IdP's CLI, or a
 * script calling its token endpoint. One call per token, never cached (an AS may enforce one-time
 * subject-token `jti`), at most `concurrency` at a time (a CLI per exchange, thousands of exchanges).
 *
 * What it prints must be one token: a single line of token characters (RFC 6750 §2.1 b64token, which
 * JWTs and opaque tokens alike fit). Anything else is refused rather than sent, since a CLI that
 * prints a banner or a JSON envelope would otherwise make every exchange fail as the AS's fault.
 */
import { SubjectTokenFailed } from '../../harness/contracts/errors.ts'
import { parseDuration } from '../../harness/contracts/duration.ts'
import type { SubjectTokenPrincipal, SubjectTokenSource } from '../../harness/contracts/target.ts'
import type { SubjectTokenCommandProfile } from '../../harness/profile/types.ts'
import { SUBJECT_JWT } from '../../harness/protocol/oauth-client.ts'
import { CommandFailure, runCommand } from './run-command.ts'

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_CONCURRENCY = 8

/** A counting semaphore: `run` waits for one of `n` slots. */
function slots(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let free = n
  const waiting: (() => void)[] = []
  return async (fn) => {
    if (free === 0) await new Promise<void>((r) => waiting.push(r))
    else free--
    try {
      return await fn()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else free++
    }
  }
}

export function commandSubjectTokens(spec: SubjectTokenCommandProfile, cwd: string): SubjectTokenSource {
  // the schema checked `timeout` (a duration of at most 60 s)
  const timeoutMs = (spec.timeout === undefined ? null : parseDuration(spec.timeout)) ?? DEFAULT_TIMEOUT_MS
  const limit = slots(spec.concurrency ?? DEFAULT_CONCURRENCY)
  const shown = spec.run.join(' ')
  const fill = (p: SubjectTokenPrincipal, audience: string): string[] => {
    const values: Record<string, string> = { principal: p.id, tenant: p.tenant, scope: p.entitlements.join(' '), audience }
    return spec.run.map((a) => a.replace(/\{(principal|tenant|scope|audience)\}/g, (_, k: string) => values[k]))
  }
  return {
    tokenType: spec.tokenType ?? SUBJECT_JWT,
    describe: `the profile's command (${shown})`,
    async subjectTokenFor(principal, audience) {
      const argv = fill(principal, audience)
      const failed = (why: string, cause?: unknown): SubjectTokenFailed =>
        new SubjectTokenFailed(`principals.command for ${principal.id}: ${why}`, { cause, hint: `run it by hand from the profile's folder: ${argv.join(' ')}; it must print one token and exit 0 within ${timeoutMs} ms` })
      let out: string
      try {
        out = await limit(() => runCommand({ argv, cwd, timeoutMs }))
      } catch (e) {
        if (e instanceof CommandFailure) throw failed(e.message, e)
        throw e
      }
      const token = out.trim()
      if (token === '') throw failed('printed nothing')
      // never quote what it printed: it may be the token with something around it
      if (!B64TOKEN.test(token)) throw failed(`printed ${token.includes('\n') ? 'more than one line' : 'characters no token has'} (${token.length} chars)`)
      return token
    },
  }
}
