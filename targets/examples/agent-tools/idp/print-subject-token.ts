/**
 * Stands in for a company IdP's command-line client, the kind that prints a token for a user (as
 * `gcloud auth print-identity-token` or `az account get-access-token` do): prints one ES256 user
 * assertion the example AS accepts as an RFC 8693 subject token when it trusts this IdP's keys
 * (EXAMPLE_IDP_JWKS). The example's profile runs it once per token when AGENT_TOOLS_SUBJECTS=command.
 *
 *   node idp/print-subject-token.ts <key-file> <issuer> <user> <tenant> "<scope>" <audience>
 */
import { importJWK, SignJWT } from 'jose'
import { randomUUID } from 'node:crypto'
import { ensureIdpKey } from './signing-key.ts'

const [keyFile, issuer, user, tenant, scope, audience] = process.argv.slice(2)
if (!audience) {
  process.stderr.write('usage: print-subject-token.ts <key-file> <issuer> <user> <tenant> "<scope>" <audience>\n')
  process.exit(2)
}
const { privateJwk } = ensureIdpKey(keyFile)
const token = await new SignJWT({ tenant, scope })
  .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: privateJwk.kid })
  .setIssuer(issuer)
  .setSubject(user)
  .setAudience(audience)
  .setIssuedAt()
  .setExpirationTime('5m')
  .setJti(randomUUID())
  .sign(await importJWK(privateJwk, 'ES256'))
process.stdout.write(`${token}\n`)
