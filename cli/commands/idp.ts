/**
 * `gatecrash idp init [--key-file PATH]`: the workforce IdP's stable key, written once (mode 0600,
 * in the user's config folder unless a path outside the project is given), and what the
 * deployment's AS must trust: the issuer and the JWKS. Run again, it prints the same.
 */
import { CliUsage } from '../../harness/contracts/errors.ts'
import { defaultIdpKeyFile, initIdpKey } from '../../harness/population/idp-key-file.ts'
import { WORKFORCE_IDP_ISSUER, WorkforceIdp } from '../../harness/population/workforce-idp.ts'
import { EXIT } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'

export async function idpCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args
  if (sub !== 'init') throw new CliUsage(`unknown idp subcommand '${sub ?? ''}'`, { hint: 'gatecrash idp init [--key-file PATH] [--issuer URI]' })
  const { values } = parseFlags(rest, { 'key-file': { type: 'string' }, issuer: { type: 'string' } }, 'idp init')
  const file = (values['key-file'] as string | undefined) ?? defaultIdpKeyFile()
  const { key, created } = await initIdpKey(file, process.cwd())
  const idp = new WorkforceIdp({ key, issuer: values.issuer as string | undefined })
  process.stdout.write(
    [
      created ? `wrote the workforce IdP key to ${file} (mode 0600; keep it out of any repository)` : `the workforce IdP key at ${file} is kept (the AS already trusts it)`,
      '',
      'Configure the deployment\'s authorization server to trust subject tokens from:',
      `  issuer  ${idp.issuer}${idp.issuer === WORKFORCE_IDP_ISSUER ? '  (never resolves: give the AS the JWKS below, or a jwksPort URL)' : ''}`,
      '  JWKS:',
      JSON.stringify(idp.jwks(), null, 2).replace(/^/gm, '    '),
      '',
      `In the target profile: principals: { idp: { keyFile: ${JSON.stringify(file)} } }`,
      'or, for an AS that fetches keys by URL, principals: { idp: { jwksPort: <port> } } (served on 127.0.0.1 during each run; no stable key needed).',
    ].join('\n') + '\n',
  )
  return EXIT.ready
}
