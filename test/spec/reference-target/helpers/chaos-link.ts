/**
 * For the chaos specs: a tiny TCP proxy per link, standing in for the harness's fault proxy (the
 * target asks for one per link through the `proxy` start option), and a forged access token with a
 * kid the target has never published.
 *
 * Modes: `pass` (piped, optionally with latency on the way back), `refuse` (connections closed at
 * once, like a port nobody listens on), `hold` (a blackhole: connections accepted, nothing
 * forwarded). Changing the mode cuts the open connections, so keep-alive ones start over.
 */
import { randomUUID } from 'node:crypto'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { decodeJwt, SignJWT } from 'jose'
import { newKeyPair, type KeyPair } from './client-crypto.ts'

export type LinkMode = 'pass' | 'refuse' | 'hold'

export class LinkProxy {
  readonly url: string
  readonly upstream: string
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  #mode: LinkMode = 'pass'
  #delayMs = 0

  private constructor(server: Server, upstream: string) {
    this.#server = server
    this.upstream = upstream
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  static async start(upstream: string): Promise<LinkProxy> {
    const server = createServer({ noDelay: true })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const proxy = new LinkProxy(server, upstream)
    server.on('connection', (s) => proxy.#accept(s))
    return proxy
  }

  get mode(): LinkMode {
    return this.#mode
  }

  /** Switches the mode (and latency, ms added to every chunk coming back); open connections are cut. */
  set(mode: LinkMode, delayMs = 0): void {
    this.#mode = mode
    this.#delayMs = delayMs
    for (const s of this.#sockets) s.destroy()
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }

  #accept(client: Socket): void {
    const track = (s: Socket): void => {
      this.#sockets.add(s)
      s.on('error', () => {})
      s.once('close', () => this.#sockets.delete(s))
    }
    track(client)
    if (this.#mode === 'refuse') return void client.destroy()
    if (this.#mode === 'hold') return void client.resume()
    const { hostname, port } = new URL(this.upstream)
    const upstream = connect({ host: hostname, port: Number(port), noDelay: true })
    track(upstream)
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
    client.pipe(upstream)
    const delayMs = this.#delayMs
    if (delayMs === 0) return void upstream.pipe(client)
    upstream.on('data', (chunk: Buffer) => setTimeout(() => client.write(chunk), delayMs))
    upstream.on('end', () => setTimeout(() => client.end(), delayMs))
  }
}

/** The proxies one target asked for, by link name; `proxy` is what the target's start option takes. */
export class LinkProxies {
  readonly #byLink = new Map<string, LinkProxy>()

  readonly proxy = async (link: string, upstream: string): Promise<string> => {
    const p = await LinkProxy.start(upstream)
    this.#byLink.set(link, p)
    return p.url
  }

  get links(): string[] {
    return [...this.#byLink.keys()]
  }

  get(link: string): LinkProxy {
    const p = this.#byLink.get(link)
    if (p === undefined) throw new Error(`the target asked for no link "${link}" (it asked for ${this.links.join(', ')})`)
    return p
  }

  /** every link back to `pass` with no latency */
  heal(): void {
    for (const p of this.#byLink.values()) if (p.mode !== 'pass') p.set('pass')
  }

  async close(): Promise<void> {
    await Promise.all([...this.#byLink.values()].map((p) => p.close()))
  }
}

/**
 * An attacker's copy of a genuine access token: same claims, its own jti, bound to the attacker's
 * key, signed by the attacker under a kid the AS never published. Only a resource server that
 * skips signature verification serves it.
 */
export async function forgedToken(genuine: string): Promise<{ token: string; key: KeyPair; kid: string }> {
  const key = await newKeyPair()
  const claims = { ...decodeJwt(genuine), jti: randomUUID(), cnf: { jkt: key.jkt } }
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.jkt }).sign(key.privateKey)
  return { token, key, kid: key.jkt }
}

/** Waits until `check` holds (polling), or fails with `what`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
