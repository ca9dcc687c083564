/**
 * The run store's writer thread (started by AttemptLog). SQLite's commits, and above all its WAL
 * checkpoints with their fsync, would otherwise run on the load engine's event loop and show up as
 * harness-made latency in every request scheduled behind them (measured on these machines: ~13 µs
 * per attempt and stalls of tens of ms in-thread, ~1 µs per attempt to hand rows to this thread).
 *
 * Protocol, in order (each message is handled before the next, so a reply covers everything sent
 * before it): { rows } → one transaction; { evidence } → appended in delivery order; { exchanges } → provisioning's exchange records kept (run-store.ts keepExchanges); { heads } → a head sample after them; { sync, id } → { synced, id }; { close } → { closed, dropped }.
 * Failures go back as { error } and the thread stays up, so the main side can report them at close.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { ChainHeads } from '../contracts/evidence-source.ts'
import { RunStore } from './run-store.ts'

export type WriterRequest = { rows: unknown[] } | { evidence: EvidenceRecord[] } | { exchanges: EvidenceRecord[] } | { heads: ChainHeads; at: number } | { sync: number } | { close: true }
export type WriterReply = { ready: true } | { synced: number } | { closed: true; dropped: number } | { error: string }

const port = parentPort
if (port) {
  let store: RunStore | undefined
  let dropped = 0
  const reply = (m: WriterReply): void => port.postMessage(m)
  try {
    store = RunStore.open((workerData as { file: string }).file)
    reply({ ready: true })
  } catch (e) {
    reply({ error: `cannot open the run store: ${(e as Error).message}` })
  }
  port.on('message', (m: WriterRequest) => {
    try {
      if ('rows' in m) {
        if (store) dropped += store.insertAttemptRows(m.rows)
      } else if ('evidence' in m) {
        store?.appendEvidence(m.evidence)
      } else if ('exchanges' in m) {
        store?.keepExchanges(m.exchanges)
      } else if ('heads' in m) {
        store?.addHeadSample(m.heads, m.at)
      } else if ('sync' in m) {
        reply({ synced: m.sync })
      } else {
        store?.close()
        store = undefined
        reply({ closed: true, dropped })
        port.close()
      }
    } catch (e) {
      reply({ error: (e as Error).message })
    }
  })
}
