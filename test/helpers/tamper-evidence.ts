/**
 * A test-only fault injector that tampers with the reference target's OWN evidence store (not the
 * harness's run.db), the way an insider on the sink's host would: stop the sink (SIGKILL through
 * the target's chaos hooks: every acknowledged batch is on disk already), edit its JSONL log, start
 * it again on the same address with the same configuration (it reloads the log). Writers buffer
 * while it is down, as under any sink outage.
 *
 * `params.mode`, on one evidence chain (`params.chain`: a writer component such as `rs-1/0`):
 *  - `edit-keep-hash`: a record's decision flipped (deny ↔ allow), its hash left as it was;
 *  - `edit-rehash`: the same edit, then the hash of that record and of every later record of the
 *    chain recomputed (each `prev` re-linked): the chain verifies, but its head moved;
 *  - `delete`: a record that has a successor removed;
 *  - `truncate`: the chain's tail cut off (at least `params.count` records, default 3, and at
 *    least through the record below; never the chain's first record): its head rolls back.
 * The record is `params.record` (an id), else the newest of the chain the harness has read
 * already, i.e. written at least `params.olderThanMs` ago (default 1500: a run polls the sink every
 * second), so the tamper changes history the harness saw rather than records it has yet to read.
 * The default chain is, for `truncate`, the most idle one (its newest record is the oldest: all of
 * it was read, and no unread record is lost with the tail), for the others the one with the most
 * records. `detail` says what was done, as `<mode> on chain <component>: …`.
 *
 * What the writers do: a sink head that moved (`edit-rehash`, `truncate`) makes the chain's writer,
 * when it next delivers, write a `system.evidence_gap` record (cause `sink_head_moved`) and chain on
 * from the sink's head; `edit-keep-hash` and `delete` leave the head alone.
 *
 * @example
 * import { tamperEvidence } from '<repo>/test/helpers/tamper-evidence.ts'
 * export default defineScenario({
 *   faults: [Fault.custom({ injector: 'tamper-evidence', component: 'evidence-sink', params: { mode: 'edit-keep-hash' }, at: '2s', for: '1s' })],
 *   injectors: [tamperEvidence],
 *   …
 * })
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FaultInjector } from '../../harness/chaos/injector.ts'
import type { Decision, EvidenceRecord } from '../../harness/contracts/evidence.ts'
import { recordHash } from '../../harness/evidence/chain.ts'
import { EVIDENCE_LOG } from '../../targets/reference/evidence-sink/sink-store.ts'

export const TAMPER_MODES = ['edit-keep-hash', 'edit-rehash', 'delete', 'truncate'] as const
export type TamperMode = (typeof TAMPER_MODES)[number]

export interface TamperOptions {
  mode: TamperMode
  /** the writer component whose chain is tampered with (default: see the file comment) */
  chain?: string
  /** the record to tamper with, by id (default: the chain's newest record at least `olderThanMs` old) */
  record?: string
  olderThanMs?: number
  /** truncate: records cut at least (default 3) */
  count?: number
  /** epoch ms the ages are measured from (default: now) */
  now?: number
}

export interface Tampered {
  /** the log after the tamper, in order */
  records: EvidenceRecord[]
  chain: string
  /** ids of the records edited, removed or cut */
  ids: string[]
  detail: string
}

const short = (hash: string | null): string => (hash === null ? 'null' : `${hash.slice(0, 10)}…`)

/** The tamper itself, on a log held in memory (the injector reads and writes the sink's file around it). */
export function tamperLog(log: readonly EvidenceRecord[], o: TamperOptions): Tampered {
  const now = o.now ?? Date.now()
  const olderThanMs = o.olderThanMs ?? 1_500
  const chains = new Map<string, number[]>()
  log.forEach((r, i) => chains.set(r.component, [...(chains.get(r.component) ?? []), i]))
  const component = o.chain ?? defaultChain(log, chains, o.mode)
  const at = chains.get(component) ?? []
  if (at.length < 2) throw new Error(`tamper-evidence: chain ${component} has ${at.length} record(s); it needs 2 or more (chains: ${[...chains.keys()].join(', ')})`)
  // index in `at` of the record to tamper with
  let pick: number
  if (o.record !== undefined) {
    pick = at.findIndex((i) => log[i].id === o.record)
    if (pick === -1) throw new Error(`tamper-evidence: chain ${component} holds no record ${o.record}`)
  } else {
    const newest = o.mode === 'delete' ? at.length - 2 : at.length - 1
    pick = newest
    while (pick >= 0 && now - Date.parse(log[at[pick]].ts) < olderThanMs) pick--
    if (pick < 0) throw new Error(`tamper-evidence: chain ${component} holds no record ${olderThanMs} ms old${o.mode === 'delete' ? ' with a successor' : ''} yet`)
  }
  const out = [...log]
  const target = log[at[pick]]
  const flipped: Decision = target.decision === 'deny' ? 'allow' : 'deny'
  const edit = `record ${target.id} decision ${target.decision} → ${flipped}`
  switch (o.mode) {
    case 'edit-keep-hash': {
      out[at[pick]] = { ...target, decision: flipped }
      return { records: out, chain: component, ids: [target.id], detail: `edit-keep-hash on chain ${component}: ${edit}, hash left as it was` }
    }
    case 'edit-rehash': {
      let prev = target.prev
      for (let k = pick; k < at.length; k++) {
        const { hash: _old, ...r } = log[at[k]]
        const body = { ...r, prev, ...(k === pick ? { decision: flipped } : {}) }
        prev = recordHash(body)
        out[at[k]] = { ...body, hash: prev }
      }
      const later = at.length - 1 - pick
      return { records: out, chain: component, ids: [target.id], detail: `edit-rehash on chain ${component}: ${edit}, it and ${later} later record(s) rehashed, head ${short(log[at.at(-1)!].hash)} → ${short(prev)}` }
    }
    case 'delete': {
      if (pick === at.length - 1) throw new Error(`tamper-evidence: record ${target.id} is the head of ${component}; delete needs a record with a successor (truncate cuts a tail)`)
      return { records: out.filter((_, i) => i !== at[pick]), chain: component, ids: [target.id], detail: `delete on chain ${component}: record ${target.id} removed` }
    }
    case 'truncate': {
      if (pick === 0) throw new Error(`tamper-evidence: record ${target.id} is the first of ${component}; truncate keeps a chain's first record`)
      const from = Math.max(1, Math.min(at.length - (o.count ?? 3), pick))
      const cut = new Set(at.slice(from))
      const ids = at.slice(from).map((i) => log[i].id)
      return {
        records: out.filter((_, i) => !cut.has(i)),
        chain: component,
        ids,
        detail: `truncate on chain ${component}: last ${ids.length} record(s) cut (${ids[0]} … ${ids.at(-1)}), head rolled back ${short(log[at.at(-1)!].hash)} → ${short(log[at[from - 1]].hash)}`,
      }
    }
  }
}

function defaultChain(log: readonly EvidenceRecord[], chains: ReadonlyMap<string, number[]>, mode: TamperMode): string {
  const candidates = [...chains.entries()].filter(([, at]) => at.length >= 2).sort(([a], [b]) => a.localeCompare(b))
  if (candidates.length === 0) throw new Error('tamper-evidence: no chain of the sink has 2 records or more')
  const newestTs = (at: number[]): number => Date.parse(log[at.at(-1)!].ts)
  const best = mode === 'truncate'
    ? candidates.reduce((a, b) => (newestTs(b[1]) < newestTs(a[1]) ? b : a))
    : candidates.reduce((a, b) => (b[1].length > a[1].length ? b : a))
  return best[0]
}

type Params = Record<string, string | number | boolean> | undefined

function stringParam(params: Params, name: string): string | undefined {
  const v = params?.[name]
  if (v !== undefined && typeof v !== 'string') throw new TypeError(`tamper-evidence: params.${name} must be a string`)
  return v
}

function countParam(params: Params, name: string): number | undefined {
  const v = params?.[name]
  if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) throw new TypeError(`tamper-evidence: params.${name} must be a whole number`)
  return v
}

export const tamperEvidence: FaultInjector = {
  name: 'tamper-evidence',
  kinds: ['custom'],
  async inject(spec, ctx) {
    if (spec.kind !== 'custom') throw new TypeError(`tamper-evidence cannot inject ${spec.kind}`)
    const mode = spec.params?.mode
    if (!TAMPER_MODES.includes(mode as TamperMode)) throw new TypeError(`tamper-evidence: params.mode must be one of ${TAMPER_MODES.join(', ')}`)
    const hooks = ctx.target.chaos
    const sink = ctx.target.components.find((c) => c.name === spec.component)
    if (hooks === undefined || !hooks.processes.includes(spec.component) || sink?.dataDir === undefined) {
      throw new TypeError(`tamper-evidence: '${spec.component}' is not an evidence sink this target lets the harness restart, with its data directory`)
    }
    const file = join(sink.dataDir, EVIDENCE_LOG)
    await hooks.kill(spec.component)
    let done: Tampered
    try {
      const text = await readFile(file, 'utf8')
      // a line torn by the kill was never acknowledged: left for the sink's own reload to cut off
      const complete = text.lastIndexOf('\n') + 1
      const log = text.slice(0, complete).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EvidenceRecord)
      done = tamperLog(log, {
        mode: mode as TamperMode,
        chain: stringParam(spec.params, 'chain'),
        record: stringParam(spec.params, 'record'),
        olderThanMs: countParam(spec.params, 'olderThanMs'),
        count: countParam(spec.params, 'count'),
      })
      const body = done.records.map((r) => `${JSON.stringify(r)}\n`).join('')
      await writeFile(`${file}.tamper`, body + text.slice(complete))
      await rename(`${file}.tamper`, file)
    } finally {
      await hooks.restart(spec.component)
    }
    ctx.log(`tamper-evidence: ${done.detail}`)
    return { detail: done.detail, heal: async () => {} }
  },
}
