/**
 * Token-endpoint attempts for the authorization-server cases: the form of an RFC 8693 exchange or
 * a client-credentials request, sent through `env.request` so it is recorded as an attempt, and the
 * attribution a correct AS writes for it (aud = the issuer, tool = the grant).
 *
 * Attribution follows what the AS can know at the check that must fail. No authenticated client:
 * nobody (anonymous, no client_id). An authenticated client whose request is refused before the
 * subject token is trusted (unknown resource, an actor claim, an expired subject): the client as
 * client_id, no principal, no actors. A trusted subject: its principal, and the actor chain the
 * token would have had (the client first, then the subject's chain).
 */
import type { ExpectedAttribution } from '../../contracts/attempt.ts'
import type { RunIdentity } from '../../contracts/identity.ts'
import type { SentRequest, WireRequest } from '../../contracts/wire.ts'
import type { IdentityKey } from '../../contracts/identity.ts'
import { GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE, type AsMetadata } from '../../protocol/oauth-client.ts'
import { tokenEndpointExpected, type ActionEnv } from '../types.ts'
import type { Exchange } from './population-view.ts'

export const TOOL_EXCHANGE = 'token.exchange'
export const TOOL_CLIENT_CREDENTIALS = 'token.client_credentials'

export type TokenTool = typeof TOOL_EXCHANGE | typeof TOOL_CLIENT_CREDENTIALS

export interface ClientAuth {
  clientId: string
  key: IdentityKey
}

export const authOf = (identity: Pick<RunIdentity, 'clientId' | 'credential'>): ClientAuth => ({ clientId: identity.clientId, key: identity.credential.key })

/** RFC 8693 §2.1 form for `x`, as `client` sends it (client_id alongside its assertion, as RFC 7523 §2.2 allows). */
export function exchangeParams(
  x: Pick<Exchange, 'subjectToken' | 'subjectTokenType' | 'resource'>,
  clientId: string | null,
  extra: { scope?: string[]; resource?: string } & Record<string, string | string[] | undefined> = {},
): Record<string, string | undefined> {
  const { scope, resource, ...rest } = extra
  const more: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(rest)) more[k] = Array.isArray(v) ? v.join(' ') : v
  return {
    grant_type: GRANT_TOKEN_EXCHANGE,
    ...(clientId !== null ? { client_id: clientId } : {}),
    subject_token: x.subjectToken,
    subject_token_type: x.subjectTokenType,
    resource: resource ?? x.resource,
    scope: scope?.join(' '),
    ...more,
  }
}

/** RFC 6749 §4.4 client credentials for `resource`. */
export function clientCredentialsParams(clientId: string, resource: string, scope?: string[]): Record<string, string | undefined> {
  return { grant_type: GRANT_CLIENT_CREDENTIALS, client_id: clientId, resource, scope: scope?.join(' ') }
}

/** Attribution of an exchange whose subject the AS trusted: its principal and the would-be actor chain. */
export function trustedSubject(meta: AsMetadata, who: { principal: string; actors: string[]; clientId: string; tenant: string }): ExpectedAttribution {
  return tokenEndpointExpected(meta, TOOL_EXCHANGE, who)
}

/** Attribution of a request refused before any token was trusted, by an authenticated client (or none). */
export function untrustedSubject(meta: AsMetadata, tool: TokenTool, clientId: string | null, tenant: string): ExpectedAttribution {
  return tokenEndpointExpected(meta, tool, { principal: null, actors: [], clientId, tenant })
}

export interface TokenAttempt {
  kind: 'legit' | 'attack'
  caseId?: string
  tool: TokenTool
  wire: WireRequest
  expected: ExpectedAttribution
  /** for issued-token cases: the most a correct AS may grant */
  ceiling?: { scope: string[]; aud?: string | null }
}

/** Sends one token-endpoint request and records it as an attempt (no access token is presented: no token hash). */
export function sendTokenAttempt(env: ActionEnv, a: TokenAttempt): Promise<SentRequest> {
  return env.request(a.wire, {
    kind: a.kind,
    ...(a.caseId !== undefined ? { caseId: a.caseId } : {}),
    tool: a.tool,
    expected: a.expected,
    tokenHash: null,
    ...(a.ceiling !== undefined ? { ceiling: a.ceiling } : {}),
  })
}
