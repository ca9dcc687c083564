/** Replay store process entry (forked by the adapter): one store shared by every replica of every resource server. */
import { runComponent } from '../shared/child-main.ts'
import type { ReplayStoreConfig } from '../shared/component-config.ts'
import { MemoryReplayStore } from '../shared/replay-store.ts'
import { replayStoreHandler } from './replay-server.ts'

runComponent<ReplayStoreConfig>('replay-store', async (config) => {
  const store = new MemoryReplayStore({ maxEntries: config.maxEntries ?? 1_000_000 })
  return { handler: replayStoreHandler(store), close: async () => {} }
})
