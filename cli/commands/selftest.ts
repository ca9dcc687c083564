import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DEFAULT_CONCURRENCY, selftest, type SelftestReport } from '../../harness/selftest/selftest.ts'
import { CliUsage } from '../../harness/contracts/errors.ts'
import { EXIT } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'
import { resolveTarget } from '../targets.ts'

/** `gatecrash selftest`: the detection matrix of the catalog against the reference target's flaws. */
export async function selftestCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(
    args,
    { json: { type: 'boolean', default: false }, fast: { type: 'boolean', default: false }, flaw: { type: 'string', multiple: true }, 'correct-only': { type: 'boolean', default: false }, concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY) } },
    'selftest',
  )
  if (values['correct-only'] && values.flaw) throw new CliUsage('selftest: --correct-only and --flaw exclude each other', { hint: '--correct-only sweeps the catalog against the correct target alone; --flaw NAME sweeps it and the named flaws' })
  const adapter = await resolveTarget('reference')
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gatecrash-selftest-'))
  try {
    const report = await selftest({
      adapter,
      dataDir,
      fast: values.fast as boolean,
      // --correct-only: every case against the correct target alone (no false alarm is the whole finding)
      flaws: values['correct-only'] ? [] : (values.flaw as string[] | undefined),
      concurrency: Number(values.concurrency),
      onVariant: values.json ? undefined : (v) => process.stderr.write(`  swept ${v.flaw ?? 'correct target'} in ${(v.ms / 1000).toFixed(1)} s\n`),
    })
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : render(report))
    return report.ok ? EXIT.ready : EXIT.gatesFailed
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

function render(r: SelftestReport): string {
  const lines = [
    `gatecrash selftest: ${r.caseIds.length} case ids × ${r.flaws.length} flaws in ${(r.ms / 1000).toFixed(0)} s`,
    '',
    r.falseAlarms.length === 0 ? `correct target: no breach, warn, unrecorded, misattributed, false-deny or not-covered (${r.caseIds.length} cases pass)` : `correct target: FALSE ALARMS: ${r.falseAlarms.join('; ')}`,
    '',
    'detection matrix (flaw → the cases expected to catch it: verdict on the flawed target; or the gate that alone catches it)',
  ]
  const w = Math.max(...r.flaws.map((f) => f.flaw.length))
  for (const f of r.flaws) {
    const v = r.variants.find((x) => x.flaw === f.flaw)!
    const cells = f.caughtByGate !== undefined
      ? `${f.caughtByGate} ${f.detectedByGate ? 'failed' : 'held'}`
      : f.caughtBy.map((id) => `${id}=${v.cases[id] ?? 'not run'}`).join('  ')
    lines.push(`  ${f.detected ? '✓' : '✗'} ${f.flaw.padEnd(w)}  ${cells}${f.gatesFailed ? '' : '  (gates did not fail)'}`)
    if (f.alsoChanged.length > 0) lines.push(`    ${' '.repeat(w)}  also changed: ${f.alsoChanged.join(', ')}`)
  }
  const missed = r.flaws.filter((f) => !f.detected)
  lines.push('', missed.length === 0 && r.falseAlarms.length === 0 ? `OK: every flaw detected, nothing flagged on the correct target` : `FAILED: ${missed.length} flaw(s) undetected${r.falseAlarms.length ? ', false alarms on the correct target' : ''}`)
  return `${lines.join('\n')}\n`
}
