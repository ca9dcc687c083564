/**
 * A test server on an ephemeral loopback port, closed (its kept-alive sockets too) by the cleanup
 * it registers, so a test file's servers never outlive it.
 */
import { once } from 'node:events'
import type { Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'

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
