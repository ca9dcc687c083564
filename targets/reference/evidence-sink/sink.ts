/**
 * The evidence sink built from its config. main.ts runs it as a process; the specs also build one
 * in-process to test the sink's flaw switches without starting a whole target.
 */
import { hasFlaw } from '../flaws.ts'
import type { ComponentRuntime } from '../shared/child-main.ts'
import type { SinkConfig } from '../shared/component-config.ts'
import { startSinkFlaws } from './sink-flaws.ts'
import { SinkStore } from './sink-store.ts'
import { sinkHandler } from './sink-server.ts'

export async function startSink(config: SinkConfig): Promise<ComponentRuntime> {
  // flaw evidence-chain-broken: deny records are altered after they were verified and stored
  const store = new SinkStore(config.dataDir, { alterDenies: hasFlaw(config.flaws ?? [], 'evidence-chain-broken') })
  await store.load()
  const log = (line: string): void => void process.stderr.write(`${line}\n`)
  // flaws evidence-tail-truncated, evidence-history-rewritten: acknowledged records lost or rewritten later
  const stopFlaws = startSinkFlaws(store, config.flaws ?? [], log)
  if (typeof config.ingestTokenHash !== 'string' || Buffer.from(config.ingestTokenHash, 'base64url').length !== 32) {
    throw new TypeError('ingestTokenHash must be the base64url SHA-256 of the writers\' secret')
  }
  // flaw evidence-sink-unauthenticated: anyone who reaches the sink may append records
  const ingestTokenHash = hasFlaw(config.flaws ?? [], 'evidence-sink-unauthenticated') ? null : config.ingestTokenHash
  return {
    handler: sinkHandler(store, log, ingestTokenHash),
    close: async () => {
      stopFlaws()
      await store.flushed().catch(() => {})
    },
  }
}
