/**
 * escalate.param-pollution.* (RFC 6749 §3.2: "Request and response parameters MUST NOT be included
 * more than once"; §5.2 invalid_request): the carrier's ordinary exchange with one parameter sent
 * twice, with two values. A gateway or policy check that reads one value and a grant that runs on
 * the other disagree about what was asked; the AS must refuse the request, not pick a value.
 * RFC 8707 lets `resource` repeat, so it is not used.
 *
 * - subject-token: two subject tokens of the carrier's user (two fresh assertions; a sub-agent sends
 *   its top agent's exchange), so either value alone would be served;
 * - scope: the narrow request first (one scope the carrier holds), the wide one last (all of them).
 *
 * Nothing is trusted when the request is refused at parsing: the record names nobody.
 */
import type { WireRequest } from '../../contracts/wire.ts'
import { tokenRequestWire } from '../kit.ts'
import type { AttackModule } from '../types.ts'
import { audienceOf, populationView, carrierAgent, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, untrustedSubject } from './token-attempt.ts'

export type PollutedParam = 'subject-token' | 'scope'

/** `wire` with `name=value` appended to its form body once more. */
export function withRepeated(wire: WireRequest, name: string, value: string): WireRequest {
  return { ...wire, body: `${wire.body ?? ''}&${new URLSearchParams([[name, value]]).toString()}` }
}

function module(param: PollutedParam): AttackModule {
  return {
    id: `escalate.param-pollution.${param}`,
    eligible: () => true,
    prepare: async (kit) => populationView(kit),
    async fire(env) {
      const carrier = carrierAgent(env)
      if (!carrier) return
      const { view, agent, principal } = carrier
      const subject = {
        subjectToken: await view.subjects.subjectTokenFor(principal, env.meta.issuer),
        subjectTokenType: view.subjects.tokenType,
        resource: audienceOf(agent.credential.accessToken) ?? env.rs.audience,
      }
      const scope = agent.scope
      if (scope.length === 0) return
      const narrow = scope.slice(0, 1)
      // the wide value must differ from the narrow one even for an agent holding a single scope
      const wide = scope.length > 1 ? scope.join(' ') : `${scope[0]} ${scope[0]}`
      const base = tokenRequestWire(env.meta, authOf(agent), exchangeParams(subject, agent.clientId, param === 'scope' ? { scope: narrow } : {}))
      const wire = param === 'scope'
        ? withRepeated(base, 'scope', wide)
        : withRepeated(base, 'subject_token', await view.subjects.subjectTokenFor(principal, env.meta.issuer))
      await sendTokenAttempt(env, {
        kind: 'attack',
        caseId: this.id,
        tool: TOOL_EXCHANGE,
        wire,
        expected: untrustedSubject(env.meta, TOOL_EXCHANGE, null, agent.tenant),
      })
    },
  }
}

export const escalateParamPollutionSubjectToken = module('subject-token')
export const escalateParamPollutionScope = module('scope')
