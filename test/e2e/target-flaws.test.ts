import { describe, expect, it } from 'vitest'
import { referenceTarget } from '../../targets/reference/adapter.ts'
import { runCli } from '../helpers/cli.ts'

describe('gatecrash target flaws', () => {
  it('names what catches every flaw: its attack cases, the gate that alone catches it, or for a fail-open flaw the chaos scenario', async () => {
    const r = await runCli(['target', 'flaws'])
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(referenceTarget.flaws.length)
    for (const f of referenceTarget.flaws) {
      const line = lines.find((l) => l.startsWith(`${f.name} `))
      expect(line, f.name).toBeDefined()
      const caught = line!.slice(line!.lastIndexOf('; caught by ') + '; caught by '.length)
      if (f.caughtByGate !== undefined) expect(caught, f.name).toBe(`the ${f.caughtByGate} gate (on the traffic of ${f.caughtBy.join(', ')})`)
      else if (f.caughtBy.length > 0) expect(caught, f.name).toBe(f.caughtBy.join(', '))
      else if (f.caughtBySpec !== undefined) expect(caught, f.name).toBe(`the target's spec test ${f.caughtBySpec}`)
      else expect(caught, f.name).toBe(`the chaos scenario ${f.caughtByScenario}`)
    }
    const failOpen = referenceTarget.flaws.filter((f) => f.caughtBy.length === 0 && f.caughtBySpec === undefined)
    expect(failOpen.map((f) => f.name).sort()).toEqual(['evidence-drop-when-sink-down', 'jwks-fail-open', 'replay-store-fail-open'])
    expect(referenceTarget.flaws.filter((f) => f.caughtByGate).map((f) => f.name).sort()).toEqual(['evidence-exchange-unlinked', 'evidence-history-rewritten', 'evidence-tail-truncated'])
    // outside the target contract: only the target's own spec test reaches it
    expect(referenceTarget.flaws.filter((f) => f.caughtBySpec).map((f) => f.name)).toEqual(['evidence-sink-unauthenticated'])
  })
})
