/**
 * The child side of a forked component: wait for its config over IPC, listen on 127.0.0.1 (a free
 * port, or on a restart the port it had before), report `ready` with the URL, and shut down
 * (flushing evidence first) on SIGTERM or when the parent goes away. This is a program's entry
 * point, so it owns process.exit.
 *
 * runComponent serves HTTP (most components); runTcpComponent serves raw TCP connections (the
 * round-robin front). Both share the same IPC protocol (component-config.ts).
 *
 * In a container (container/container-component.ts) there is no IPC channel: the start message
 * comes in the environment (CONTAINER_START_ENV; only components whose config holds no secret run
 * there) and `ready` is a line on stdout (CONTAINER_READY) the adapter waits for.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server as HttpServer, type ServerResponse } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { ChildMessage, ParentMessage } from './component-config.ts'

export interface ChildRuntime {
  /** flush evidence and release resources; bounded in time by the component */
  close(): Promise<void>
  /** answers parent `call` messages (e.g. the AS learning resource audiences) */
  onCall?(method: string, params: unknown): Promise<unknown>
  /** the internal listener's URL, once it listens (set by runComponent, reported in `ready`) */
  internalUrl?: string
}

export interface ComponentRuntime extends ChildRuntime {
  handler: RequestListener
  /**
   * Endpoints only the deployment's own components may call (a replica's admin read and lifecycle
   * push), served on a second listener of its own on 127.0.0.1. A resource server's public listener
   * sits behind an L4 front, where every caller's address is loopback, so a loopback check there
   * means nothing: these endpoints must not be reachable through the front at all.
   */
  internalHandler?: RequestListener
}

export interface TcpComponentRuntime extends ChildRuntime {
  onConnection(socket: Socket): void
}

/** the start message of a component run in a container, as JSON */
export const CONTAINER_START_ENV = 'GATECRASH_CONTAINER_START'
/** the line (then a space and the URL) a component in a container writes on stdout once ready */
export const CONTAINER_READY = 'gatecrash-component-ready'

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message)
  else if (process.env[CONTAINER_START_ENV] !== undefined && message.type === 'ready') process.stdout.write(`${CONTAINER_READY} ${message.url}\n`)
}

function notReady(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(503, { 'content-type': 'application/json' })
  res.end('{"error":"temporarily_unavailable","error_description":"starting"}')
}

/**
 * Listens on 127.0.0.1:`port` (0: any free port). A restarted component asks for its old port,
 * which its killed predecessor may hold for a moment longer: EADDRINUSE is retried for ~3 s.
 */
function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let tries = 0
    const attempt = (): void => {
      const onError = (e: NodeJS.ErrnoException): void => {
        server.off('listening', onListening)
        if (e.code === 'EADDRINUSE' && port !== 0 && ++tries < 60) setTimeout(attempt, 50)
        else reject(e)
      }
      const onListening = (): void => {
        server.off('error', onError)
        resolve()
      }
      server.once('error', onError)
      server.once('listening', onListening)
      server.listen(port, '127.0.0.1')
    }
    attempt()
  })
}

function runChild<R extends ChildRuntime>(
  name: string,
  server: Server,
  closeConnections: () => void,
  start: (config: unknown, baseUrl: string, internalPort: number) => Promise<R>,
  started: (runtime: R) => void,
): void {
  const containerStart = process.send === undefined ? process.env[CONTAINER_START_ENV] : undefined
  if (process.send === undefined && containerStart === undefined) {
    process.stderr.write(`${name}: must be started by the reference target adapter (IPC channel missing)\n`)
    process.exit(2)
  }
  let runtime: R | null = null
  let stopping = false

  const shutdown = async (why: string): Promise<void> => {
    if (stopping) return
    stopping = true
    server.close()
    try {
      await runtime?.close()
    } catch (e) {
      process.stderr.write(`${name}: close failed during ${why}: ${String(e)}\n`)
    }
    closeConnections()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  // The parent died or let go of us: nobody can stop us later, so stop now.
  process.on('disconnect', () => void shutdown('disconnect'))

  const failStart = (e: unknown): never => {
    send({ type: 'failed', message: e instanceof Error ? e.message : String(e) })
    process.stderr.write(`${name}: start failed: ${e instanceof Error ? e.stack : String(e)}\n`)
    process.exit(1)
  }

  const onMessage = (raw: ParentMessage): void => {
    if (raw.type === 'start') {
      listen(server, raw.port ?? 0).then(() => {
        const { port } = server.address() as AddressInfo
        const url = `http://127.0.0.1:${port}`
        start(raw.config, url, raw.internalPort ?? 0).then(
          (r) => {
            runtime = r
            started(r)
            send({ type: 'ready', url, ...(r.internalUrl !== undefined ? { internalUrl: r.internalUrl } : {}) })
          },
          failStart,
        )
      }, failStart)
    } else if (raw.type === 'call') {
      const call = runtime?.onCall?.(raw.method, raw.params) ?? Promise.reject(new Error(`${name}: no handler for ${raw.method}`))
      call.then(
        (value) => send({ type: 'reply', id: raw.id, ok: true, value }),
        (e: unknown) => send({ type: 'reply', id: raw.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
      )
    }
  }
  if (containerStart !== undefined) onMessage({ type: 'start', ...(JSON.parse(containerStart) as { config: unknown; port?: number; internalPort?: number }) })
  else process.on('message', onMessage)
}

export function runComponent<C>(name: string, start: (config: C, baseUrl: string) => Promise<ComponentRuntime>): void {
  let handler: RequestListener = notReady
  const server = createServer((req, res) => handler(req, res))
  server.keepAliveTimeout = 30_000
  let internal: HttpServer | null = null
  const startAll = async (config: unknown, baseUrl: string, internalPort: number): Promise<ComponentRuntime> => {
    const r = await start(config as C, baseUrl)
    if (r.internalHandler === undefined) return r
    // The internal listener comes up once the runtime exists (it has nothing to answer before) and,
    // on a restart, on the port it had before: the AS and the admin client keep its URL.
    const s = createServer(r.internalHandler)
    s.keepAliveTimeout = 30_000
    await listen(s, internalPort)
    internal = s
    r.internalUrl = `http://127.0.0.1:${(s.address() as AddressInfo).port}`
    return r
  }
  const closeAll = (): void => {
    server.closeAllConnections()
    internal?.close()
    internal?.closeAllConnections()
  }
  runChild(name, server, closeAll, startAll, (r) => {
    handler = r.handler
  })
}

export function runTcpComponent<C>(name: string, start: (config: C, baseUrl: string) => Promise<TcpComponentRuntime>): void {
  let onConnection: (socket: Socket) => void = (socket) => socket.destroy()
  const sockets = new Set<Socket>()
  const server = createTcpServer({ noDelay: true }, (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    onConnection(socket)
  })
  runChild(name, server, () => sockets.forEach((s) => s.destroy()), start as (config: unknown, baseUrl: string) => Promise<TcpComponentRuntime>, (r) => {
    onConnection = (socket) => r.onConnection(socket)
  })
}
