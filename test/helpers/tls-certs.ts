/**
 * Certificates made at test time with the machine's openssl into a fresh temporary directory (never
 * committed): a CA, a server certificate it signs for 127.0.0.1, ::1 and localhost, one for another
 * name only (wrong name), and a second CA that signs nothing here (wrong CA). P-256 keys, 2 days.
 *
 * @example
 *   const certs = makeTestCerts()
 *   https.createServer({ key: certs.serverKey, cert: certs.serverCert }, handler)
 *   new Http1Pool(origin, { connections: 1, tls: { ca: certs.caFile } })
 *   certs.remove()
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface TestCerts {
  dir: string
  /** PEM file of the CA that signs serverCert and wrongNameCert */
  caFile: string
  /** PEM file of a CA that signs nothing the servers present */
  otherCaFile: string
  serverKey: string
  /** for 127.0.0.1, ::1 and localhost */
  serverCert: string
  wrongNameKey: string
  /** for wrong-name.gatecrash.invalid only */
  wrongNameCert: string
  remove(): void
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=gatecrash test ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
}

function makeLeaf(dir: string, name: string, san: string): void {
  writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`)
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`])
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`])
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatecrash-tls-'))
  makeCa(dir, 'ca')
  makeCa(dir, 'other-ca')
  makeLeaf(dir, 'server', 'IP:127.0.0.1,IP:::1,DNS:localhost')
  makeLeaf(dir, 'wrong-name', 'DNS:wrong-name.gatecrash.invalid')
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8')
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    otherCaFile: path.join(dir, 'other-ca.pem'),
    serverKey: read('server.key'),
    serverCert: read('server.pem'),
    wrongNameKey: read('wrong-name.key'),
    wrongNameCert: read('wrong-name.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
