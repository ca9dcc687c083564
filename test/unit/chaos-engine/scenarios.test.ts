/**
 * The shipped chaos scenarios load and validate, stay under a minute of load, and between them cover
 * every fault family of the issue; the default scenario (`npm start`) carries one short fault window.
 */
import { readdir } from 'node:fs/promises'
import { describe, expect, test } from 'vitest'
import { loadScenario } from '../../../harness/scenario/load.ts'
import { parseDuration } from '../../../harness/contracts/duration.ts'
import type { FaultKind } from '../../../harness/chaos/fault.ts'

describe('scenarios/chaos-*.ts', async () => {
  const files = (await readdir('scenarios')).filter((f) => /^chaos-.*\.ts$/.test(f)).map((f) => `scenarios/${f}`)

  test('seven chaos scenarios', () => {
    expect(files.map((f) => f.replace(/^scenarios\/|\.ts$/g, '')).sort()).toEqual(['chaos-clock', 'chaos-evidence-sink', 'chaos-jwks', 'chaos-keys', 'chaos-network', 'chaos-process', 'chaos-replay-store'])
  })

  test.each(files)('%s: valid, ≤ 60 s of load, every window inside it', async (file) => {
    const { config } = await loadScenario(file)
    const durations = Object.values(config.scenarios).map((s) => ('duration' in s ? parseDuration(s.duration)! : Infinity))
    const loadMs = Math.max(...durations)
    expect(loadMs).toBeLessThanOrEqual(60_000)
    expect(config.faults!.length).toBeGreaterThan(0)
    for (const f of config.faults!) expect(parseDuration(f.at)! + parseDuration(f.for ?? '5s')!, JSON.stringify(f)).toBeLessThan(loadMs)
  })

  test('together they cover every fault family', async () => {
    const kinds = new Set<FaultKind>()
    const components = new Set<string>()
    for (const file of files) {
      for (const f of (await loadScenario(file)).config.faults!) {
        kinds.add(f.kind)
        if ('component' in f) components.add(`${f.kind}:${f.component}`)
      }
    }
    for (const k of ['latency', 'bandwidth', 'reset', 'blackhole', 'slow-close', 'kill', 'pause', 'clock-skew', 'key-rotation'] as const) expect(kinds, k).toContain(k)
    // replay-store and evidence-sink outages, down and slow
    expect(components).toContain('blackhole:replay-store')
    expect(components).toContain('latency:replay-store')
    expect(components).toContain('reset:evidence-sink')
    expect(components).toContain('latency:evidence-sink')
  })

  test('the default scenario has one short fault window a correct target rides through', async () => {
    const { config } = await loadScenario('scenarios/sandbox-validation.ts')
    expect(config.faults).toEqual([{ kind: 'latency', component: 'replay-store', ms: 100, at: '20s', for: '5s' }])
  })
})
