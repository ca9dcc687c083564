/**
 * lifecycle.reexchange-widen (TXN §13.6, §13.15; CHAIN §2.5; RFC 8693 §2.2.1): a narrowed token is
 * presented as subject_token to win back the scope removed from it. prepare() builds a fresh chain
 * user → P → S → C: P and S registered for every scope the user has on the first resource server,
 * S then narrows its own token to one scope, and C (registered as S's child, for the full scope)
 * exchanges S's NARROWED token asking for the full scope. Only the subject token limits C here, so
 * this catches an AS that judges the grant by registrations instead of by the subject.
 *
 * A correct AS answers 400 invalid_scope, or issues no more than the narrowed scope (the oracle
 * judges the issued token against that ceiling). The subject is genuine: the record names the user
 * and the chain C > S > P.
 */
import { expiryOf } from '../../population/enroll.ts'
import { SUBJECT_ACCESS_TOKEN, tokenExchange } from '../../protocol/oauth-client.ts'
import type { CaseKit, FreshIdentity } from '../kit.ts'
import { tokenRequestWire } from '../kit.ts'
import { Renewing } from '../rs/tool-call.ts'
import { CaseNotCovered, type AttackModule } from '../types.ts'
import { signingKeyWindow } from './lifecycle-setup.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, trustedSubject } from './token-attempt.ts'

interface Chain {
  /** the narrowed token of S, the subject of the attack */
  narrowed: string
  narrowScope: string[]
  wideScope: string[]
  resource: string
  /** the client that presents it, a registered child of S */
  child: FreshIdentity
  principal: string
  expiresAt: number
}

async function mintChain(kit: CaseKit): Promise<Chain> {
  const rs = kit.target.resources[0]
  const known = new Set(rs.tools.map((t) => t.scope))
  const pick = kit.principals.map((p) => ({ p, wide: p.entitlements.filter((e) => known.has(e)) })).find((x) => x.wide.length >= 2)
  if (!pick) throw new CaseNotCovered('no principal holds two scopes of the first resource server, so nothing can be narrowed')
  const { p, wide } = pick
  return signingKeyWindow(async () => {
    const parent = await kit.freshAgent(p, { scope: wide, resource: rs.audience })
    const sub = await kit.freshSubAgent(parent, wide)
    const child = await kit.freshSubAgent(sub, wide)
    const narrowScope = [wide[0]]
    const narrowed = await tokenExchange(kit.meta, {
      clientId: sub.clientId,
      key: sub.credential.key,
      subjectToken: parent.credential.accessToken,
      subjectTokenType: SUBJECT_ACCESS_TOKEN,
      resource: rs.audience,
      scope: narrowScope,
    })
    return { narrowed: narrowed.access_token, narrowScope, wideScope: wide, resource: rs.audience, child, principal: p.id, expiresAt: expiryOf(narrowed) }
  })
}

export const lifecycleReexchangeWiden: AttackModule = {
  id: 'lifecycle.reexchange-widen',
  eligible: () => true,
  async prepare(kit) {
    if (!kit.target.capabilities.tokenExchange || !kit.target.capabilities.registration) throw new CaseNotCovered('needs token exchange and dynamic registration')
    return Renewing.start(() => mintChain(kit))
  },
  async fire(env) {
    const chain = await (env.prepared as Renewing<Chain>).get()
    const { child } = chain
    const subject = { subjectToken: chain.narrowed, subjectTokenType: SUBJECT_ACCESS_TOKEN, resource: chain.resource }
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_EXCHANGE,
      wire: tokenRequestWire(env.meta, authOf(child), exchangeParams(subject, child.clientId, { scope: chain.wideScope })),
      expected: trustedSubject(env.meta, { principal: chain.principal, actors: child.actors, clientId: child.clientId, tenant: child.tenant }),
      ceiling: { scope: chain.narrowScope, aud: chain.resource },
    })
  },
}
