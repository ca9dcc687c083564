/** The parts of a bundle that need no run: DSSE's PAE, keys and keyids, envelope and statement parsing, the report note. */
import { createHash, generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fromBase64, pae, parseEnvelope } from '../../../harness/bundle/dsse.ts'
import { insideRunDir } from '../../../harness/bundle/files.ts'
import { generateSigningKey, loadPublicKey, loadSigningKey, signBytes, verifyBytes } from '../../../harness/bundle/keys.ts'
import { parseStatement } from '../../../harness/bundle/statement.ts'
import { BundleKeyInvalid } from '../../../harness/contracts/errors.ts'
import { renderMarkdown } from '../../../reports/markdown.ts'
import { signedNote, unsignedNote, withNote } from '../../../reports/bundle-note.ts'
import { failingRun } from '../reports/run-fixture.ts'

describe('DSSE v1', () => {
  it('PAE is the spec example byte for byte', () => {
    // the protocol page of github.com/secure-systems-lab/dsse, "Test vectors" in spirit: lengths in bytes, ASCII decimal
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world')
    expect(pae('t', Buffer.from('é')).toString()).toBe('DSSEv1 1 t 2 é')
  })

  it('reads standard and URL-safe base64, and refuses anything else rather than decode it short', () => {
    expect(fromBase64('+/8=')).toEqual(Buffer.from([0xfb, 0xff]))
    expect(fromBase64('-_8=')).toEqual(Buffer.from([0xfb, 0xff]))
    expect(fromBase64('ab$c')).toBeNull()
  })

  it('names what is wrong with an envelope', () => {
    expect(parseEnvelope('nope')).toEqual({ problem: 'not JSON' })
    expect(parseEnvelope('{"payloadType":"x","payload":"e30=","signatures":[]}')).toEqual({ problem: 'signatures is missing or empty' })
    expect(parseEnvelope('{"payloadType":"x","payload":"e30=","signatures":[{"sig":"!"}]}')).toEqual({ problem: 'signatures.0.sig is missing or not base64' })
  })

  it('names what is wrong with a statement', () => {
    expect(parseStatement(Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}'))).toEqual({ problem: 'the payload\'s _type is "https://in-toto.io/Statement/v0.1", not https://in-toto.io/Statement/v1' })
    expect(parseStatement(Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', predicateType: 'https://gatecrash.dev/run-bundle/v1', subject: [{ name: 'a' }] })))).toEqual({ problem: 'subject.0 has no name or no sha256 digest' })
  })
})

describe('bundle keys', () => {
  it('keyid is the hex SHA-256 of the SPKI DER, the same from the private key, its PEM public half and its JWK', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const expected = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex')
    expect(loadSigningKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'k').keyid).toBe(expected)
    expect(loadSigningKey(privateKey.export({ type: 'sec1', format: 'pem' }).toString(), 'k').keyid).toBe(expected)
    expect(loadPublicKey(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'k').keyid).toBe(expected)
    expect(loadPublicKey(JSON.stringify(publicKey.export({ format: 'jwk' })), 'k').keyid).toBe(expected)
  })

  it('signs and verifies with Ed25519 and P-256; a signature of one does not pass for the other', () => {
    const ed = generateSigningKey()
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const ec = loadSigningKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'ec')
    const data = Buffer.from('payload')
    for (const k of [ed, ec]) {
      expect(verifyBytes(k, data, signBytes(k, data))).toBe(true)
      expect(verifyBytes(k, Buffer.from('payloaD'), signBytes(k, data))).toBe(false)
    }
    expect(verifyBytes(ec, data, signBytes(ed, data))).toBe(false)
    expect(verifyBytes(ed, data, signBytes(ec, data))).toBe(false)
  })

  it('refuses other curves, a public key to sign with, and unreadable text, without quoting it', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    expect(() => loadSigningKey(p384, 'p384.key')).toThrow('p384.key is an EC key on secp384r1; bundles are signed with Ed25519 or ECDSA P-256 only')
    const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
    expect(() => loadSigningKey(JSON.stringify(jwk), '$K')).toThrow('$K is a public JWK')
    const secretish = '{"d": "c2VjcmV0LXNlY3JldC1zZWNyZXQ", broken'
    try {
      loadSigningKey(secretish, '$K')
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(BundleKeyInvalid)
      expect((e as Error).message).not.toContain('c2VjcmV0')
      expect((e as BundleKeyInvalid).hint).toContain('openssl genpkey')
    }
  })
})

describe('subject names from an envelope', () => {
  it('stay inside the run directory', () => {
    expect(insideRunDir('/r', 'target/as.jsonl')).toBe('/r/target/as.jsonl')
    for (const bad of ['../x', '/etc/passwd', 'a/../../x', 'a\\b', '', 'a//b', './a']) expect(insideRunDir('/r', bad)).toBeNull()
  })
})

describe("the report's signature note", () => {
  const md = renderMarkdown(failingRun().run)
  const note = { keyid: 'ab'.repeat(32), keyType: 'ed25519' as const, created: '2026-01-01T00:00:00.000Z', envelope: 'bundle.dsse.json', publicKey: 'bundle.pub.pem' }

  it('is unsigned in a fresh report and replaced, once, on signing and re-signing', () => {
    expect(md).toContain(unsignedNote().join('\n'))
    const self = withNote(md, signedNote({ ...note, selfSigned: true }))
    expect(self).toContain('**Self-signed bundle.**')
    expect(self).not.toContain('**Unsigned bundle.**')
    const org = withNote(self, signedNote({ ...note, selfSigned: false }))
    expect(org).toContain('**Signed bundle.**')
    expect(org).not.toContain('Self-signed')
    expect(org.split('<!-- gatecrash:bundle -->')).toHaveLength(2)
  })

  it('replaces the one-line unsigned note of a report rendered before the markers', () => {
    const old = '## Sign-off\n\n> **Unsigned bundle.** This version of gatecrash does not sign the run directory.\n\n**Reviewer 1**\n'
    const out = withNote(old, signedNote({ ...note, selfSigned: false }))
    expect(out).not.toContain('Unsigned')
    expect(out).toContain('**Signed bundle.**')
    expect(out).toContain('**Reviewer 1**')
  })
})
