/**
 * A profile's admin hooks: what the lifecycle cases and the key-rotation fault ask of a deployment
 * that no standard endpoint offers (rotate or retire the AS signing key, a short token lifetime for
 * one client, the side-effect probe), each a command or an HTTP call the profile declares. A hook
 * the profile does not declare is AdminHookMissing: the case that needs it is not covered, never a
 * pass.
 *
 * Placeholders in a command's arguments, a URL or a body value: {client_id}, {kid}, {ttl_s},
 * {trace_id}. A hook's answer is its stdout (or response body), JSON when it parses, else text.
 */
import { AdminHookMissing, TargetStartFailed } from '../../harness/contracts/errors.ts'
import type { TargetAdmin } from '../../harness/contracts/target.ts'
import type { AdminHook, AdminHooksProfile } from '../../harness/profile/types.ts'
import { secretValue } from '../../harness/profile/load.ts'
import { httpRequest } from '../../harness/protocol/http.ts'
import { CommandFailure, runCommand } from './run-command.ts'

const HOOK_TIMEOUT_MS = 30_000

type Values = Record<string, string>

const fill = (template: string, values: Values): string => template.replace(/\{(client_id|kid|ttl_s|trace_id)\}/g, (_, k: string) => values[k] ?? '')

function parse(text: string): unknown {
  const t = text.trim()
  try {
    return JSON.parse(t)
  } catch {
    return t
  }
}

async function runHook(name: string, command: readonly string[], values: Values, cwd: string): Promise<unknown> {
  try {
    return parse(await runCommand({ argv: command.map((a) => fill(a, values)), cwd, timeoutMs: HOOK_TIMEOUT_MS }))
  } catch (e) {
    if (!(e instanceof CommandFailure)) throw e
    throw new TargetStartFailed(`admin hook ${name} ${e.message}`, { cause: e, hint: `run admin.${name}.command by hand to see why` })
  }
}

async function callHttp(name: string, hook: Extract<AdminHook, { http: unknown }>['http'], values: Values): Promise<unknown> {
  const headers = Object.fromEntries(Object.entries(hook.headers ?? {}).map(([k, v]) => [k, typeof v === 'string' ? fill(v, values) : secretValue(v)]))
  const json = hook.body === undefined ? undefined : Object.fromEntries(Object.entries(hook.body).map(([k, v]) => [k, fill(v, values)]))
  const res = await httpRequest(fill(hook.url, values), { method: hook.method, headers, json, timeoutMs: HOOK_TIMEOUT_MS })
  if (res.status < 200 || res.status > 299) {
    throw new TargetStartFailed(`admin hook ${name}: ${hook.method} ${fill(hook.url, values)} answered ${res.status}`, { hint: `check admin.${name}.http in the profile` })
  }
  return res.body
}

/** The TargetAdmin of a profile, or undefined when it declares no hook at all. */
export function adminHooks(hooks: AdminHooksProfile | undefined, cwd: string): TargetAdmin | undefined {
  if (!hooks || Object.keys(hooks).length === 0) return undefined
  const call = async (name: keyof AdminHooksProfile, values: Values): Promise<unknown> => {
    const hook = hooks[name]
    if (!hook) throw new AdminHookMissing(`the target profile declares no admin.${name} hook`, { hint: `declare admin.${name} (a command or an HTTP call) to cover the cases that need it` })
    return 'command' in hook ? runHook(name, hook.command, values, cwd) : callHttp(name, hook.http, values)
  }
  const kidOf = (answer: unknown, name: string): string => {
    const kid = typeof answer === 'string' ? answer : (answer as { kid?: unknown })?.kid
    if (typeof kid !== 'string' || kid === '') throw new TargetStartFailed(`admin hook ${name} answered no kid`, { hint: 'print the kid, or JSON { "kid": "…" }' })
    return kid
  }
  return {
    rotateSigningKey: async () => ({ kid: kidOf(await call('rotateSigningKey', {}), 'rotateSigningKey') }),
    retireSigningKey: async (kid) => void (await call('retireSigningKey', { kid })),
    currentSigningKid: async () => kidOf(await call('currentSigningKid', {}), 'currentSigningKid'),
    setTokenTtl: async (clientId, ttlS) => void (await call('setTokenTtl', { client_id: clientId, ttl_s: String(ttlS) })),
    refundCount: async (traceId) => {
      const answer = await call('sideEffectCount', { trace_id: traceId })
      const n = typeof answer === 'number' ? answer : Number((answer as { count?: unknown })?.count ?? answer)
      if (!Number.isFinite(n)) throw new TargetStartFailed('admin hook sideEffectCount answered no number', { hint: 'print a count, or JSON { "count": n }' })
      return n
    },
  }
}
