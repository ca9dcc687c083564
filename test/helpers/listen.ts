/**
 * A test server on an ephemeral loopback port, closed (its kept-alive sockets too) by the cleanup
 * it registers, so a test file's servers never outlive it.
 */
import { once } from 'node:events'
import type { Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterEach } from 'vitest'

export type Cleanup = () => void | Promise<void>

/** listens on 127.0.0.1:0; answers the port */
export async function listenLoopback(server: HttpServer | HttpsServer, cleanups: Cleanup[]): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(async () => {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  })
  return (server.address() as AddressInfo).port
}

/** Runs and forgets the cleanups registered so far, last first. */
export async function runCleanups(cleanups: Cleanup[]): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c()
}

/** A cleanup list run after each test of the file, last first. */
export function cleanupsPerTest(): Cleanup[] {
  const cleanups: Cleanup[] = []
  afterEach(() => runCleanups(cleanups))
  return cleanups
}
