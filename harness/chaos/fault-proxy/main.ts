/**
 * Entry point of the fault-proxy process, forked by `startFaultProxy` (../start-fault-proxy.ts):
 *
 *   <node> main.ts --gatecrash-fault-proxy --state-dir=<dir> [--api-port=<port>]
 *
 * It serves the Toxiproxy-compatible API on 127.0.0.1 (port 0 unless given), writes its state file,
 * and reports `{ type: 'ready', url, pid }` over IPC. It ends when its IPC channel disconnects (the
 * harness stopped it, or died) or on SIGTERM: every proxy and connection is closed, the state file
 * removed, and the process exits once nothing is left open. Ctrl-C's SIGINT, which reaches the whole
 * process group, is ignored: the harness heals the faults and then stops the proxy itself, and
 * target traffic keeps flowing through it meanwhile.
 */
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { createApiServer } from './api.ts'
import { ProxyCollection } from './collection.ts'
import { FAULT_PROXY_MARKER, removeStateFile, writeStateFile } from './stale.ts'

export type FaultProxyMessage = { type: 'ready'; url: string; pid: number } | { type: 'failed'; message: string }

const { values } = parseArgs({
  options: {
    [FAULT_PROXY_MARKER.slice(2)]: { type: 'boolean' },
    'state-dir': { type: 'string' },
    'api-port': { type: 'string', default: '0' },
  },
  strict: true,
})
const stateDir = values['state-dir']
const apiPort = Number(values['api-port'])

function report(message: FaultProxyMessage): void {
  if (process.connected) process.send?.(message)
}

async function main(): Promise<void> {
  if (process.send === undefined) {
    process.stderr.write('fault proxy: start it through startFaultProxy() (no IPC channel)\n')
    process.exitCode = 2
    return
  }
  if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65_535) {
    report({ type: 'failed', message: `invalid --api-port ${values['api-port']}` })
    process.exitCode = 2
    process.disconnect()
    return
  }
  const proxies = new ProxyCollection()
  const api = createApiServer(proxies)
  let stopping = false

  const shutdown = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    proxies.closeAll()
    api.close()
    api.closeAllConnections()
    if (stateDir !== undefined) await removeStateFile(stateDir, process.pid).catch(() => {})
    if (process.connected) process.disconnect()
    // everything is closed, so the loop should drain now; this only fires if something leaked
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 2_000).unref()
  }
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => void shutdown())
  process.on('disconnect', () => void shutdown())

  try {
    await new Promise<void>((resolve, reject) => {
      api.once('error', reject)
      api.listen(apiPort, '127.0.0.1', () => resolve())
    })
    const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`
    if (stateDir !== undefined) await writeStateFile(stateDir, { pid: process.pid, ppid: process.ppid, url, startedAt: new Date().toISOString() })
    if (stopping) {
      // the harness went away while we started: shutdown() ran before the file existed
      if (stateDir !== undefined) await removeStateFile(stateDir, process.pid).catch(() => {})
      return
    }
    report({ type: 'ready', url, pid: process.pid })
  } catch (e) {
    report({ type: 'failed', message: e instanceof Error ? e.message : String(e) })
    process.exitCode = 1
    await shutdown()
  }
}

void main()
