/**
 * `gatecrash trace <run-dir> <trace-id>`: one transaction as the target's records alone tell it
 * (principal → agent → sub-agent, each exchange by token hash, client and scope, then the call and
 * its decision), beside what the harness sent. Exit 0 when the two agree (or the trail records no
 * exchange to judge), 99 when they do not, 104 for a trace id the run never sent.
 */
import type { AttemptRecord } from '../../harness/contracts/attempt.ts'
import { CliUsage } from '../../harness/contracts/errors.ts'
import type { ReconstructedTransaction } from '../../harness/contracts/run-json.ts'
import { chainText } from '../../harness/oracle/reconstruct.ts'
import { traceTransaction, type TracedTransaction } from '../../harness/run/trace.ts'
import { EXIT } from '../exit-codes.ts'
import { parseFlags } from '../main.ts'

export async function traceCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean', default: false } }, 'trace')
  if (positionals.length !== 2) throw new CliUsage('trace takes a run directory and a trace id', { hint: 'gatecrash trace runs/<run-id> <trace-id> (trace ids: attempts.csv, run.json)' })
  const traced = await traceTransaction(positionals[0], positionals[1])
  process.stdout.write(values.json ? `${JSON.stringify({ ...traced.transaction, ...(traced.notCovered ? { not_covered: traced.notCovered } : {}) }, null, 2)}\n` : render(traced))
  return traced.transaction.matched || traced.notCovered ? EXIT.ready : EXIT.gatesFailed
}

const scopes = (s: string[] | undefined): string => (s === undefined ? '—' : s.join(' ') || '(none)')

function render({ attempt: a, transaction: t, notCovered }: TracedTransaction): string {
  const lines = [
    `trace ${t.trace_id}  seq ${t.seq}  ${t.case ? `attack ${t.case}` : 'legitimate'}`,
    '',
    'what the harness sent:',
    `  ${a.method} ${a.path} (${a.tool}) → ${outcome(a)}`,
    `  as ${chainText(t.harness.principal, t.harness.actors)}${t.harness.identity ? ` (identity ${t.harness.identity})` : ''}`,
    `  token ${t.harness.token_hash ?? '(none)'}`,
    '',
    'rebuilt from the target\'s records:',
  ]
  if (notCovered) lines.push(`  not covered: ${notCovered}`)
  lines.push(...rebuilt(t))
  lines.push('', t.matched ? 'the trail names who acted on whose behalf, as the harness did' : `MISMATCH: ${t.mismatch}`)
  return `${lines.join('\n')}\n`
}

function outcome(a: AttemptRecord): string {
  if (a.status === null) return `no response (${a.transport_error ?? 'transport error'})`
  return `${a.status}${a.error_code ? ` ${a.error_code}` : ''}`
}

function rebuilt(t: ReconstructedTransaction): string[] {
  const lines: string[] = []
  if (t.hops.length > 0) {
    const principal = t.hops[0].principal ?? '(nobody)'
    lines.push(`  principal ${principal}${t.root_token_hash ? `, own token ${t.root_token_hash} (no exchange issued it)` : ''}`)
  }
  for (const h of t.hops) {
    lines.push(`  exchange ${h.record_id} by ${h.client_id ?? '(no client)'}: ${h.decision}, issued ${h.token_hash ?? '(none)'} for subject ${h.parent_token_hash ?? '(none named)'}`)
    lines.push(`    actors ${h.actors.join(', ') || '(none)'}; scope required ${scopes(h.scope_required)}, held ${scopes(h.scope_held)}`)
  }
  if (t.call) {
    const c = t.call
    lines.push(`  call ${c.record_id} at ${c.component}: ${c.tool ?? '(no tool)'} ${c.decision} ${c.reason} (${c.status}), token ${c.token_hash ?? '(none)'}`)
  } else {
    lines.push('  no record of the call')
  }
  if (t.rebuilt) lines.push(`  → ${chainText(t.rebuilt.principal, t.rebuilt.actors)}`)
  return lines
}
