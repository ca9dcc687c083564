import { randomBytes } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CliUsage } from '../../harness/contracts/errors.ts'
import type { EvidenceSourceSpec, FlawInfo } from '../../harness/contracts/target.ts'
import { WorkforceIdp } from '../../harness/population/workforce-idp.ts'
import { redact } from '../../reports/redact.ts'
import { EXIT } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'
import { resolveTarget } from '../targets.ts'
import { withContainers } from './run.ts'

/** Fail-open flaws show only under a fault: no attack case catches them, their chaos scenario does. */
function caughtBy(f: FlawInfo): string {
  // the cases only carry the traffic: the gate is what fails
  if (f.caughtByGate !== undefined) return `the ${f.caughtByGate} gate (on the traffic of ${f.caughtBy.join(', ')})`
  if (f.caughtBy.length > 0) return f.caughtBy.join(', ')
  if (f.caughtByScenario !== undefined) return `the chaos scenario ${f.caughtByScenario}`
  return f.caughtBySpec !== undefined ? `the target's spec test ${f.caughtBySpec}` : 'no case or scenario listed'
}

/** `gatecrash target start <name>`: run a target alone (e.g. to point another tool at it). */
export async function targetCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'flaws') {
    const adapter = await resolveTarget(rest[0] ?? 'reference')
    for (const f of adapter.flaws) process.stdout.write(`${f.name.padEnd(24)} breaks: ${f.control}; caught by ${caughtBy(f)}\n`)
    return EXIT.ready
  }
  if (sub === 'check') return checkCommand(rest)
  if (sub !== 'start') throw new CliUsage(`unknown target subcommand '${sub ?? ''}'`, { hint: 'gatecrash target check <profile.ts> [--json] [--call-writes] | gatecrash target start reference [--flaw NAME]… [--container NAME]… | gatecrash target flaws' })
  const { values, positionals } = parseFlags(rest, { flaw: { type: 'string', multiple: true }, container: { type: 'string', multiple: true } }, 'target start')
  const adapter = await withContainers(await resolveTarget(positionals[0] ?? 'reference'), values.container as string[] | undefined)
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatecrash-target-'))
  const idp = new WorkforceIdp()
  const initialAccessToken = randomBytes(32).toString('base64url')
  const target = await adapter.start({
    trust: { issuer: idp.issuer, jwks: idp.jwks() },
    flaws: (values.flaw as string[] | undefined) ?? [],
    dataDir,
    initialAccessToken,
  })
  // The bootstrap secret goes to a private file, never to the terminal or a log.
  const secretFile = path.join(dataDir, 'initial-access-token')
  await writeFile(secretFile, initialAccessToken, { mode: 0o600 })
  process.stdout.write(
    [
      `${target.name} target ${target.version} running${target.flaws.length ? ` with flaws: ${target.flaws.join(', ')}` : ''}`,
      `  authorization server  ${target.issuer}  (metadata: ${target.issuer}/.well-known/oauth-authorization-server)`,
      ...target.resources.map((r) => `  resource server ${r.id}   ${r.origin}  (audience ${r.audience})`),
      `  evidence              ${describeEvidence(target.evidence)}`,
      `  trusted workforce IdP ${idp.issuer} (its key lives in this process only)`,
      `  registration bootstrap token in ${secretFile}`,
      'Ctrl-C stops it.',
    ].join('\n') + '\n',
  )
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await target.stop()
  return EXIT.ready
}

const CHECK_USAGE = 'gatecrash target check ./my-sandbox.target.ts [--json] [--call-writes]'

/** `gatecrash target check <profile>`: the preflight (harness/run/preflight.ts); exit 0 only when a run can start. */
async function checkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' }, 'call-writes': { type: 'boolean' } }, 'target check')
  if (!positionals[0]) throw new CliUsage('target check: which target?', { hint: `${CHECK_USAGE} (or reference)` })
  const adapter = await resolveTarget(positionals[0])
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatecrash-check-'))
  const { preflight } = await import('../../harness/run/preflight.ts')
  const report = await preflight(adapter, { dataDir, log: (l) => process.stderr.write(`${l}\n`), callWrites: values['call-writes'] === true })
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else {
    const lines = [`gatecrash target check: ${report.target}`, '']
    for (const c of report.checks) {
      lines.push(`  ${c.ok ? '✓' : '✗'} ${c.name}: ${c.code && !c.ok ? `${c.code}: ` : ''}${redact(c.detail)}`)
      if (c.hint && !c.ok) lines.push(`      hint: ${redact(c.hint)}`)
    }
    if (report.checks.length > 1) {
      lines.push('', `catalog cases a run can cover: ${report.cases.covered.length} of ${report.cases.covered.length + report.cases.notCovered.length}`)
      for (const n of report.cases.notCovered) lines.push(`  not covered: ${n.id} (${n.reason})`)
    }
    lines.push('', report.ok ? 'OK: a run can start against this target.' : 'NOT OK: fix what is marked ✗ before a run.')
    process.stdout.write(`${lines.join('\n')}\n`)
  }
  return report.ok ? EXIT.ready : EXIT.targetCheckFailed
}

function describeEvidence(e: EvidenceSourceSpec): string {
  switch (e.kind) {
    case 'http-cursor':
      return `${e.url}/records`
    case 'jsonl':
      return e.file
    case 'combined':
      return e.sources.map(describeEvidence).join(' + ')
    case 'postgres':
      return `PostgreSQL ${e.table ?? 'query'} ($${e.connectionEnv})`
    case 'otlp-logs':
      return `OTLP/HTTP logs receiver on 127.0.0.1${e.port ? `:${e.port}` : ''}`
    case 'http-log-api':
      return e.url
  }
}
