/**
 * DELETE {registration_client_uri}, RFC 7592 §2.3: offboarding an agent. With its registration
 * access token the client is deleted (204): it can no longer authenticate, and every token issued to
 * it or along a delegation chain through it (its sub-agents' tokens carry it in `act`) stops working
 * at every resource-server replica before the answer, and as a subject token at this AS.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { requestIdOf, traceIdOf } from '../shared/http-io.ts'
import { flawed, type AsContext } from './as-context.ts'
import { newAudit } from './as-evidence.ts'
import { asRefusal, evidenceUnavailable, propagationIncomplete, record, refuse } from './as-outcome.ts'
import { registrationHolder } from './registration-access.ts'

export async function handleClientDelete(ctx: AsContext, req: IncomingMessage, res: ServerResponse, clientId: string): Promise<void> {
  req.resume()
  const audit = newAudit('DELETE', `/register/${clientId}`, 'client.delete', traceIdOf(req), requestIdOf(req))
  try {
    const client = registrationHolder(ctx, req, clientId)
    audit.clientId = client.client_id
    audit.tenant = client.tenant
    audit.principal = { sub: client.client_id, type: 'agent' }
    audit.held = client.scope
    const at = new Date().toISOString()
    const subAgents = ctx.clients.descendants(client.client_id)
    // flaw `client-deletion-ignored`: answered and propagated, but the client can still authenticate
    if (!flawed(ctx, 'client-deletion-ignored')) ctx.clients.delete(client.client_id, at, flawed(ctx, 'registration-token-survives-delete'))
    const pushed = await ctx.lifecycle.publish({ type: 'client.offboarded', client_id: client.client_id, at }, !flawed(ctx, 'offboarding-not-propagated'))
    Object.assign(audit.detail, {
      offboarded_at: at,
      parent_client_id: client.parent_client_id,
      sub_agents: subAgents,
      replicas: pushed.replicas,
      propagated: pushed.propagated,
    })
    if (pushed.failed.length > 0) throw propagationIncomplete(pushed.failed, pushed.replicas)
    if (!record(ctx, audit, 204, 'ok')) throw evidenceUnavailable()
    res.writeHead(204, { 'cache-control': 'no-store' }).end()
  } catch (e) {
    const r = asRefusal(e, 'client deletion')
    refuse(ctx, res, audit, r, r.status === 401 ? { 'www-authenticate': 'Bearer error="invalid_token"' } : r.status === 503 ? { 'retry-after': '1' } : undefined)
  }
}
