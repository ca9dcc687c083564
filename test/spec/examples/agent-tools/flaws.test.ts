/**
 * The example's misconfiguration switches (EXAMPLE_FLAW, targets/examples/agent-tools/lib/flaws.ts):
 * one probe per control runs against the correct deployment (every control holds) and against a
 * deployment with each flaw alone, which must break exactly the control it names and no other.
 */
import { describe, expect, test } from 'vitest'
import { FLAWS, type Flaw } from '../../../../targets/examples/agent-tools/lib/flaws.ts'
import { INITIAL_ACCESS_TOKEN, SUPPORT_SCOPES, startDeployment, type Deployment } from './helpers/deployment.ts'
import { callTool, exchange, newAgent, TYPE_AT, TYPE_JWT } from './helpers/client.ts'

type Control = 'dpop-replay' | 'audience' | 'tenant' | 'refund-scope' | 'delegation' | 'scope-narrowing' | 'denials-recorded'

/** the control each flaw breaks, and the gatecrash case that catches it */
const BREAKS: Record<Flaw, { control: Control; caseId: string }> = {
  'no-jti-cache': { control: 'dpop-replay', caseId: 'replay.dpop-jti-reuse' },
  'audience-unchecked': { control: 'audience', caseId: 'replay.cross-audience' },
  'tenant-unchecked': { control: 'tenant', caseId: 'escalate.cross-tenant' },
  'refund-scope-missing': { control: 'refund-scope', caseId: 'escalate.tool-scope' },
  'exchange-any-client': { control: 'delegation', caseId: 'replay.exchange-laundering' },
  'exchange-scope-not-narrowed': { control: 'scope-narrowing', caseId: 'escalate.exchange-upscope' },
  'denies-not-logged': { control: 'denials-recorded', caseId: 'every refused case (unrecorded)' },
}

const USER = { sub: 'user_1', tenant: 't_1', scope: ['tickets:read', 'customers:read', 'kb:read'] }

/** Tries each control once; returns the controls that did not hold. */
async function brokenControls(d: Deployment): Promise<Control[]> {
  const broken: Control[] = []
  const refused: { traceId: string; where: 'as' | 'rs' }[] = []
  const held = (control: Control, ok: boolean, r: { status: number; traceId: string }, where: 'as' | 'rs') => {
    if (!ok) broken.push(control)
    if (r.status >= 400) refused.push({ traceId: r.traceId, where })
  }
  const agent = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, [...SUPPORT_SCOPES, 'kb:read'])
  // scope asked for explicitly: a widened default (flaw exchange-scope-not-narrowed) must not leak into the RS probes
  const token = (await exchange(d.issuer, agent, await d.userAssertion(USER), TYPE_JWT, d.support, ['tickets:read', 'customers:read'])).body.access_token as string
  const kbToken = (await exchange(d.issuer, agent, await d.userAssertion(USER), TYPE_JWT, d.kb)).body.access_token as string
  const ticket = `${d.support}/t/t_1/tickets/ticket_1`

  const first = await callTool(ticket, token, agent)
  expect(first.status).toBe(200)
  const replay = await callTool(ticket, token, agent, { proof: first.proof })
  held('dpop-replay', replay.status === 401, replay, 'rs')

  const aud = await callTool(ticket, kbToken, agent)
  held('audience', aud.status === 401, aud, 'rs')

  const tenant = await callTool(`${d.support}/t/t_2/tickets/ticket_1`, token, agent)
  held('tenant', tenant.status === 404, tenant, 'rs')

  const refund = await callTool(`${d.support}/t/t_1/refunds`, token, agent, { method: 'POST', body: { ticket_id: 'ticket_1', amount: 10 } })
  held('refund-scope', refund.status === 403, refund, 'rs')

  const thief = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, SUPPORT_SCOPES)
  expect((await exchange(d.issuer, thief, await d.userAssertion({ ...USER, sub: 'user_2' }), TYPE_JWT, d.support)).status).toBe(200)
  const laundering = await exchange(d.issuer, thief, token, TYPE_AT, d.support)
  held('delegation', laundering.status === 400, laundering, 'as')

  const upscope = await exchange(d.issuer, agent, await d.userAssertion(USER), TYPE_JWT, d.support, ['tickets:read', 'refunds:write'])
  held('scope-narrowing', upscope.status === 400, upscope, 'as')

  const lines = [...d.audit(d.as), ...d.audit(d.rsSupport)]
  const recorded = refused.every((r) => lines.some((l) => l.trace === r.traceId && l.outcome === 'denied'))
  if (refused.length === 0 || !recorded) broken.push('denials-recorded')
  return broken
}

async function probe(flaws: Flaw[]): Promise<Control[]> {
  const d = await startDeployment({ flaws })
  try {
    return await brokenControls(d)
  } finally {
    await d.stop()
  }
}

describe('EXAMPLE_FLAW: each switch breaks exactly its control', () => {
  test('every flaw is listed with the control it breaks', () => {
    expect(Object.keys(BREAKS).sort()).toEqual(Object.keys(FLAWS).sort())
  })

  test('the correct deployment: every control holds, every refusal is recorded', async () => {
    expect(await probe([])).toEqual([])
  })

  for (const [flaw, { control, caseId }] of Object.entries(BREAKS) as [Flaw, (typeof BREAKS)[Flaw]][]) {
    test(`${flaw} breaks ${control} alone (gatecrash: ${caseId})`, async () => {
      expect(await probe([flaw])).toEqual([control])
    })
  }

  test('an unknown flaw name stops the process at start', async () => {
    await expect(startDeployment({ flaws: ['no-such-flaw'] as unknown as Flaw[] })).rejects.toThrow(/unknown flaw "no-such-flaw"/)
  })
})
