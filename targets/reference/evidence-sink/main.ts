/** Evidence sink process entry (forked by the adapter). */
import { runComponent } from '../shared/child-main.ts'
import type { SinkConfig } from '../shared/component-config.ts'
import { SinkStore } from './sink-store.ts'
import { sinkHandler } from './sink-server.ts'

runComponent<SinkConfig>('evidence-sink', async (config) => {
  const store = new SinkStore(config.dataDir)
  await store.load()
  const log = (line: string): void => void process.stderr.write(`${line}\n`)
  return {
    handler: sinkHandler(store, log),
    close: () => store.flushed().catch(() => {}),
  }
})
