/**
 * Serves the workforce IdP's JWKS on loopback while a run goes, for an AS that fetches the keys of
 * a trusted issuer by URL: such an AS needs no stable key at all (the JWKS changes per run, the URL
 * does not). Read-only, one route, 127.0.0.1 only.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TargetStartFailed } from '../contracts/errors.ts'

export interface JwksServer {
  url: string
  close(): Promise<void>
}

export async function serveJwks(jwks: { keys: unknown[] }, port: number): Promise<JwksServer> {
  const body = JSON.stringify(jwks)
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/.well-known/jwks.json' || req.url === '/jwks')) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body)
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(new TargetStartFailed(`cannot serve the workforce IdP's JWKS on 127.0.0.1:${port}: ${(e as Error).message}`, { cause: e, hint: 'principals.idp.jwksPort must be a free port on this machine' })),
    )
    server.listen(port, '127.0.0.1', resolve)
  })
  const { port: bound } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${bound}/.well-known/jwks.json`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
