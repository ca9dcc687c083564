/**
 * The `faults` list of a scenario (harness/chaos/fault.ts): a discriminated union on `kind`, each
 * kind with its own allowed keys, so a typo (`jiter`) or a key of another kind (`ms` on a reset)
 * is refused with the keys that kind allows.
 */
import { ScenarioInvalid } from '../contracts/errors.ts'
import { parseDuration } from '../contracts/duration.ts'
import { arr, bool, duration, fn, num, obj, oneOfChecks, record, str, tagged, type Check, type Field } from '../config/schema-check.ts'

/** A link ('rs-1', 'jwks', 'replay-store') or a process ('rs-1/0', 'as') the target exposes. */
const COMPONENT = str({ pattern: /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9._-]+)?$/, describe: "a target component such as 'jwks', 'rs-1', 'rs-1/0', 'replay-store', 'evidence-sink'" })

function positive(): Check {
  const base = duration()
  return (v, at) => {
    base(v, at)
    if (parseDuration(v as string | number) === 0) {
      throw new ScenarioInvalid(`${at.file}: \`${at.key}\` is ${JSON.stringify(v)}, not longer than zero`, { file: at.file, key: at.key, hint: "allowed: a k6 duration longer than zero, such as '5s'" })
    }
  }
}

const window = {
  at: { check: duration(), required: true },
  for: { check: positive(), required: true },
  recoverWithin: duration(),
} satisfies Record<string, Field | Check>

const link = {
  component: { check: COMPONENT, required: true },
  ...window,
  probability: num({ min: 0, max: 1 }),
  stream: str({ oneOf: ['downstream', 'upstream'] }),
} satisfies Record<string, Field | Check>

const kind = (name: string): Field => ({ check: str({ oneOf: [name] }), required: true })
const MS = num({ min: 0, max: 600_000, int: true })

export const FAULT_SCHEMAS: Record<string, Check> = {
  latency: obj({ kind: kind('latency'), ...link, ms: { check: MS, required: true }, jitterMs: MS }),
  bandwidth: obj({ kind: kind('bandwidth'), ...link, rate: { check: num({ min: 0, max: 10_000_000, int: true }), required: true } }),
  reset: obj({ kind: kind('reset'), ...link, afterMs: MS }),
  blackhole: obj({ kind: kind('blackhole'), ...link, closeAfterMs: MS }),
  'slow-close': obj({ kind: kind('slow-close'), ...link, delayMs: { check: MS, required: true } }),
  kill: obj({ kind: kind('kill'), component: { check: COMPONENT, required: true }, ...window }),
  pause: obj({ kind: kind('pause'), component: { check: COMPONENT, required: true }, ...window }),
  restart: obj({ kind: kind('restart'), component: { check: COMPONENT, required: true }, ...window }),
  'clock-skew': obj({
    kind: kind('clock-skew'),
    ...window,
    skewS: { check: num({ min: -86_400, max: 86_400 }), required: true },
    share: num({ min: 0, max: 1 }),
  }),
  'key-rotation': obj({
    kind: kind('key-rotation'),
    at: { check: duration(), required: true },
    for: positive(),
    recoverWithin: duration(),
    reexchange: num({ min: 0, max: 1 }),
  }),
  custom: obj({
    kind: kind('custom'),
    injector: { check: str({ pattern: /^[\w.-]+$/, describe: "the name of an injector plugin listed in the scenario's `injectors`" }), required: true },
    component: { check: COMPONENT, required: true },
    ...window,
    params: record(/^\w+$/, 'parameter names of letters, digits and _', oneOfChecks('a string, number or boolean', str(), num(), bool())),
  }),
}

export const faultsSchema: Check = arr(tagged('kind', FAULT_SCHEMAS), {
  describe: "a list of faults built with Fault.* (e.g. Fault.latency({ component: 'jwks', ms: 800, at: '20s', for: '10s' }))",
})

/** `injectors`: fault injector plugins (harness/chaos/injector.ts FaultInjector) that `Fault.custom` faults name. */
export const injectorsSchema: Check = arr(
  obj({
    name: { check: str({ pattern: /^[\w.-]+$/, describe: 'a name of letters, digits, ., _ or -' }), required: true },
    kinds: { check: arr(str({ describe: "fault kinds it handles, e.g. 'custom' or 'pause'" })), required: true },
    inject: { check: fn('a function (spec, ctx) => Promise<ActiveFault>'), required: true },
  }),
  { describe: 'a list of FaultInjector objects ({ name, kinds, inject })' },
)
