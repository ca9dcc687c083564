/**
 * Warm connections and the JIT before measuring (docs/platform.md: a cold start at a high rate builds a
 * backlog that shows up as latency). Warm-up requests are ordinary reads and are not graded.
 */
import { readableTool, resourceId } from '../../attacks/types.ts'
import { epochNow } from '../../load/clock.ts'
import type { HttpPools } from '../../load/http-pool.ts'
import { expectedFor, type RunIdentity } from '../../contracts/identity.ts'
import { sendAttempt } from '../../load/send-attempt.ts'
import type { ResourceServerInfo } from '../../contracts/target.ts'

export async function warmUp(input: { identities: RunIdentity[]; rs: ResourceServerInfo; pools: HttpPools; log: (l: string) => void; requests?: number }): Promise<void> {
  const total = Math.min(input.requests ?? 300, input.identities.length * 2)
  let next = 0
  let ok = 0
  let sent = 0
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
      if (record.status !== null && record.status < 300) ok++
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  input.log(`warm-up: ${ok}/${sent} reads succeeded`)
}
