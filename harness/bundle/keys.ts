/**
 * The keys a run bundle is signed and verified with: Ed25519 or ECDSA P-256, the two that DSSE
 * tooling (securesystemslib, sigstore) verifies everywhere. Private keys come as PEM (PKCS#8, or
 * SEC 1 for EC) or a private JWK; public keys as PEM SPKI or a public JWK. The keyid is the hex
 * SHA-256 of the public key's SPKI DER: anyone holding the public key computes it without us.
 *
 * No message here quotes a key or a parser's error about one (JSON.parse's message echoes its
 * input): a key is named by where it came from, never by what it holds.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { BundleKeyInvalid } from '../contracts/errors.ts'

export type BundleKeyType = 'ed25519' | 'ecdsa-p256'

export interface PublicKeyInfo {
  publicKey: KeyObject
  type: BundleKeyType
  keyid: string
}

export interface SigningKey extends PublicKeyInfo {
  privateKey: KeyObject
}

const SUPPORTED_HINT = 'use an Ed25519 or ECDSA P-256 key, e.g. `openssl genpkey -algorithm ed25519 -out bundle.key` (public half: `openssl pkey -in bundle.key -pubout -out bundle.pub.pem`)'

function typeOf(key: KeyObject, from: string): BundleKeyType {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519'
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256'
  const what = key.asymmetricKeyType === 'ec' ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve}` : `a ${key.asymmetricKeyType} key`
  throw new BundleKeyInvalid(`${from} is ${what}; bundles are signed with Ed25519 or ECDSA P-256 only`, { hint: SUPPORTED_HINT })
}

export function keyidOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex')
}

/** A JWK object if the text is JSON, else the text itself (PEM); null for JSON that is no object. */
function keyMaterial(text: string): { jwk: Record<string, unknown> } | { pem: string } | null {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{')) return { pem: trimmed }
  try {
    const jwk: unknown = JSON.parse(trimmed)
    return typeof jwk === 'object' && jwk !== null && !Array.isArray(jwk) ? { jwk: jwk as Record<string, unknown> } : null
  } catch {
    return null
  }
}

/** `from` names the key's source in messages: a file path, or `$VAR`. */
export function loadSigningKey(text: string, from: string): SigningKey {
  const material = keyMaterial(text)
  let privateKey: KeyObject
  try {
    if (material === null) throw new Error('not a JWK')
    if ('jwk' in material && typeof material.jwk.d !== 'string') {
      throw new BundleKeyInvalid(`${from} is a public JWK; signing needs the private key (a JWK with "d")`, { hint: SUPPORTED_HINT })
    }
    privateKey = 'jwk' in material ? createPrivateKey({ key: material.jwk as never, format: 'jwk' }) : createPrivateKey(material.pem)
  } catch (e) {
    if (e instanceof BundleKeyInvalid) throw e
    throw new BundleKeyInvalid(`${from} holds no private key gatecrash can read (PEM PKCS#8 or a private JWK expected)`, { hint: SUPPORTED_HINT })
  }
  const publicKey = createPublicKey(privateKey)
  return { privateKey, publicKey, type: typeOf(privateKey, from), keyid: keyidOf(publicKey) }
}

/** A public key (PEM SPKI or a JWK); a private key given by mistake yields its public half. */
export function loadPublicKey(text: string, from: string): PublicKeyInfo {
  const material = keyMaterial(text)
  let publicKey: KeyObject
  try {
    if (material === null) throw new Error('not a JWK')
    publicKey = 'jwk' in material ? createPublicKey({ key: material.jwk as never, format: 'jwk' }) : createPublicKey(material.pem)
  } catch {
    throw new BundleKeyInvalid(`${from} holds no public key gatecrash can read (PEM SPKI or a JWK expected)`, { hint: SUPPORTED_HINT })
  }
  return { publicKey, type: typeOf(publicKey, from), keyid: keyidOf(publicKey) }
}

/** A fresh Ed25519 key for a self-signed bundle; it is never written, only its public half. */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKey, publicKey, type: 'ed25519', keyid: keyidOf(publicKey) }
}

export function publicKeyPem(key: PublicKeyInfo): string {
  return key.publicKey.export({ type: 'spki', format: 'pem' }).toString()
}

/** ECDSA signatures are ASN.1 DER, as securesystemslib and cosign read them. */
export function signBytes(key: SigningKey, data: Buffer): Buffer {
  return key.type === 'ed25519' ? sign(null, data, key.privateKey) : sign('sha256', data, { key: key.privateKey, dsaEncoding: 'der' })
}

export function verifyBytes(key: PublicKeyInfo, data: Buffer, signature: Buffer): boolean {
  try {
    return key.type === 'ed25519' ? verify(null, data, key.publicKey, signature) : verify('sha256', data, { key: key.publicKey, dsaEncoding: 'der' }, signature)
  } catch {
    // a signature of the wrong shape for the key (e.g. an Ed25519 one against a P-256 key)
    return false
  }
}
