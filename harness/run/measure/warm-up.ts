/**
 * Warm connections and the JIT before measuring (docs/platform.md: a cold start at a high rate builds a
 * backlog that shows up as latency). Warm-up requests are ordinary reads and are not graded.
 *
 * When every read failed TLS the same way (a wrong CA, a certificate for another name), measuring
 * would only record that failure thousands of times: the run stops with ERR_TARGET_TLS instead,
 * naming the origin and the CA file.
 */
import { TargetTlsFailed } from '../../contracts/errors.ts'
import { TLS_ERROR_CODES, tlsFailureMessage, type TlsFailureKind } from '../../protocol/tls-settings.ts'
import { readableTool, resourceId } from '../../attacks/types.ts'
import { epochNow } from '../../load/clock.ts'
import type { HttpPools } from '../../load/http-pool.ts'
import { expectedFor, type RunIdentity } from '../../contracts/identity.ts'
import { sendAttempt } from '../../load/send-attempt.ts'
import type { ResourceServerInfo } from '../../contracts/target.ts'
import type { ProbeCall } from '../evidence-reach.ts'

/** The reads the target answered (any status): their records must reach the evidence source (run/evidence-reach.ts). */
export async function warmUp(input: { identities: RunIdentity[]; rs: ResourceServerInfo; pools: HttpPools; log: (l: string) => void; requests?: number }): Promise<ProbeCall[]> {
  const total = Math.min(input.requests ?? 300, input.identities.length * 2)
  let next = 0
  let ok = 0
  let sent = 0
  const tlsFailures = new Map<string, number>()
  const answered: ProbeCall[] = []
  const worker = async () => {
    while (next < total) {
      const identity = input.identities[next++ % input.identities.length]
      const tool = readableTool(identity, input.rs)
      if (!tool) continue
      sent++
      const { record } = await sendAttempt(input.pools, {
        kind: 'legit',
        scenario: 'warm-up',
        scheduledAt: epochNow(),
        rs: input.rs,
        tool,
        tenant: identity.tenant,
        resourceId: resourceId('warm', next),
        credential: identity.credential,
        expected: expectedFor(identity, tool, input.rs),
      })
      if (record.status !== null) answered.push({ traceId: record.trace_id, tokenHash: record.token_hash })
      if (record.status !== null && record.status < 300) ok++
      else if (record.transport_error?.startsWith('HTTP_TLS_')) tlsFailures.set(record.transport_error, (tlsFailures.get(record.transport_error) ?? 0) + 1)
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  input.log(`warm-up: ${ok}/${sent} reads succeeded`)
  const [code, count] = [...tlsFailures].sort((a, b) => b[1] - a[1])[0] ?? ['', 0]
  if (sent > 0 && count === sent) {
    const kind = (Object.keys(TLS_ERROR_CODES) as TlsFailureKind[]).find((k) => TLS_ERROR_CODES[k] === code)!
    const { message, hint } = tlsFailureMessage(kind, new URL(input.rs.origin).origin, input.pools.connection.tls?.ca ?? null, code)
    throw new TargetTlsFailed(`warm-up: every read failed: ${message}`, { hint })
  }
  return answered
}
