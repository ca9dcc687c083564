/** Resource server process entry (forked by the adapter). */
import { EvidenceWriter } from '../evidence-writer/evidence-writer.ts'
import { hasFlaw } from '../flaws.ts'
import { runComponent } from '../shared/child-main.ts'
import type { RsConfig } from '../shared/component-config.ts'
import { PublicKeyCache } from '../shared/jwk-keys.ts'
import { MemoryReplayStore } from '../shared/replay-store.ts'
import { AccessTokenVerifier } from './access-token-verifier.ts'
import { RequestAuthorizer } from './authorize-request.ts'
import { JwksClient } from './jwks-client.ts'
import { rsHandler } from './rs-server.ts'
import { RefundLedger } from './tool-handlers.ts'

runComponent<RsConfig>('resource-server', async (config, baseUrl) => {
  // The audience and the public origin are both this server's own base URL.
  const audience = baseUrl
  const writer = new EvidenceWriter({ component: config.id, sinkUrl: config.sinkUrl, dropDenies: hasFlaw(config.flaws, 'evidence-drops-denies') })
  await writer.init()
  const jwks = new JwksClient(config.jwksUri)
  await jwks.refresh()
  const authorizer = new RequestAuthorizer({
    node: config.id,
    origin: baseUrl,
    verifier: new AccessTokenVerifier({ issuer: config.issuer, audience, jwks }),
    keys: new PublicKeyCache(),
    replay: new MemoryReplayStore(),
    replayCheck: !hasFlaw(config.flaws, 'replay-cache-off'),
  })
  return {
    handler: rsHandler({ audience, issuer: config.issuer, authorizer, writer, ledger: new RefundLedger() }),
    close: () => writer.close(),
  }
})
