/**
 * A resource-server replica built in the test process by the same factory the replica process runs
 * (resource-server/replica.ts), wired to a started target's AS, replay store and evidence sink. A flaw
 * switch is a property of the replica's code, so one of these per flaw tests the switch without
 * starting a whole target per flaw (a target is 9 processes). Requests go straight to it; DPoP htu
 * still names the front, since a replica checks htu against its configured origin.
 */
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startReplica } from '../../../../targets/reference/resource-server/replica.ts'
import type { World } from './world.ts'

export interface LocalServer {
  url: string
  close(): Promise<void>
}

/** Serves a handler on 127.0.0.1:0 in this process. */
export async function serve(handler: RequestListener, onClose: () => Promise<void> = async () => {}): Promise<LocalServer> {
  const server: Server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await onClose()
    },
  }
}

export interface LocalReplicaOptions {
  rsId?: 'rs-1' | 'rs-2'
  node?: string
  /** evidence sink (default: the target's) */
  sinkUrl?: string
  /** trusted AS (default: the target's); `jwksUri` defaults to `${issuer}/jwks` */
  issuer?: string
  jwksUri?: string
  /** public origin htu is checked against (default: the front's URL) */
  origin?: string
}

/** `url`: the public listener (as the front would reach it); `internalUrl`: the internal one (admin read, lifecycle push). */
export async function startLocalReplica(world: World, flaws: string[], o: LocalReplicaOptions = {}): Promise<LocalServer & { node: string; internalUrl: string }> {
  const rsId = o.rsId ?? 'rs-1'
  const rs = world.target.resources.find((r) => r.id === rsId)!
  const node = o.node ?? `${rsId}/local-${flaws.join('+') || 'correct'}`
  const issuer = o.issuer ?? world.target.issuer
  const runtime = await startReplica({
    id: rsId,
    node,
    audience: rs.audience,
    origin: o.origin ?? rs.origin,
    sinkUrl: o.sinkUrl ?? world.target.evidence.url,
    // a sink of the test's own takes the same secret (rs-flaws.test.ts starts it with its hash)
    evidenceSecret: world.evidenceSecret,
    replayStoreUrl: world.component('replay-store').url,
    issuer,
    jwksUri: o.jwksUri ?? `${issuer}/jwks`,
    flaws,
  })
  const internal = await serve(runtime.internalHandler!)
  const pub = await serve(runtime.handler, async () => {
    await internal.close()
    await runtime.close()
  })
  return { ...pub, node, internalUrl: internal.url }
}
