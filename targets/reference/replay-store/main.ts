/**
 * Replay store process entry (forked by the adapter): one store shared by every replica of every
 * resource server. It keeps its entries in memory only, so a restarted store starts EMPTY: a proof
 * first used before the restart passes once more after it, within the iat window (the chaos specs
 * show it). That is how an in-memory store without persistence or replication behaves in real
 * deployments too; a chaos run that restarts it should expect exactly that.
 */
import { runComponent } from '../shared/child-main.ts'
import type { ReplayStoreConfig } from '../shared/component-config.ts'
import { MemoryReplayStore } from '../shared/replay-store.ts'
import { replayStoreHandler } from './replay-server.ts'

runComponent<ReplayStoreConfig>('replay-store', async (config) => {
  const store = new MemoryReplayStore({ maxEntries: config.maxEntries ?? 1_000_000 })
  return { handler: replayStoreHandler(store), close: async () => {} }
})
