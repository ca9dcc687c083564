import { CliUsage } from '../../harness/contracts/errors.ts'
import type { TargetAdapter, TargetStartOptions } from '../../harness/contracts/target.ts'
import { run } from '../../harness/run/run.ts'
import { EXIT, exitCodeForError, exitCodeForRun } from '../exit-codes.ts'
import { parseFlags, printError } from '../main.ts'
import { defaultReporters, printSummary } from '../reporters.ts'
import { resolveTarget } from '../targets.ts'

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      target: { type: 'string', default: 'reference' },
      flaw: { type: 'string', multiple: true },
      container: { type: 'string', multiple: true },
      seed: { type: 'string' },
      out: { type: 'string', default: 'runs' },
      agents: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      workers: { type: 'string' },
      baseline: { type: 'string' },
      strict: { type: 'boolean' },
    },
    'run',
  )
  if (positionals.length !== 1) throw new CliUsage('run takes exactly one scenario file', { hint: 'gatecrash run scenarios/sandbox-validation.ts' })
  if (values.strict && values.baseline === undefined) throw new CliUsage('--strict counts soft changes against a baseline; it needs --baseline', { hint: 'gatecrash run <scenario> --baseline runs/<run-id> --strict' })
  const target = await withContainers(await resolveTarget(values.target as string), values.container as string[] | undefined)

  // First Ctrl-C stops gracefully (the run directory is still written, exit 105); a second aborts.
  const stop = new AbortController()
  const onSignal = () => {
    if (stop.signal.aborted) {
      process.stderr.write('\nsecond interrupt: aborting now\n')
      process.exit(EXIT.aborted)
    }
    process.stderr.write('\ninterrupted: stopping gracefully, writing the run directory (Ctrl-C again to abort)\n')
    stop.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const outcome = await run({
      scenarioFile: positionals[0],
      overrides: {
        seed: intFlag(values.seed as string | undefined, 'seed'),
        agents: intFlag(values.agents as string | undefined, 'agents'),
        rate: intFlag(values.rate as string | undefined, 'rate'),
        duration: values.duration as string | undefined,
        workers: intFlag(values.workers as string | undefined, 'workers'),
      },
      target,
      flaws: (values.flaw as string[] | undefined) ?? [],
      outRoot: values.out as string,
      reporters: defaultReporters(),
      stop: stop.signal,
      ...(values.baseline === undefined ? {} : { baseline: { dir: values.baseline as string, strict: Boolean(values.strict) } }),
    })
    printSummary(outcome.run, outcome.dir)
    if (outcome.failure) {
      printError(outcome.failure)
      return exitCodeForError(outcome.failure)
    }
    if (stop.signal.aborted) return EXIT.stoppedByUser
    return exitCodeForRun(outcome.run)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

function intFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new CliUsage(`--${name} must be a whole number, got '${v}'`, { hint: `e.g. --${name} 100` })
  return n
}

/**
 * `--container NAME`…: the reference target runs those components in containers through
 * testcontainers (their process faults then go through Docker). Unknown names are exit 104.
 */
export async function withContainers(adapter: TargetAdapter, names: string[] | undefined): Promise<TargetAdapter> {
  if (names === undefined || names.length === 0) return adapter
  if (adapter.name !== 'reference') throw new CliUsage(`--container works with the reference target only, not '${adapter.name}'`, { hint: 'gatecrash run <scenario> --target reference --container replay-store' })
  const { CONTAINER_COMPONENTS } = await import('../../targets/reference/adapter.ts')
  const allowed: readonly string[] = CONTAINER_COMPONENTS
  const unknown = names.filter((n) => !allowed.includes(n))
  if (unknown.length > 0) {
    throw new CliUsage(`--container ${unknown.map((n) => `'${n}'`).join(', ')}: not a component the reference target can run in a container`, { hint: `allowed: ${allowed.join(', ')} (needs a Docker engine)` })
  }
  const containers = [...new Set(names)]
  return { ...adapter, start: (o: TargetStartOptions) => adapter.start({ ...o, containers } as TargetStartOptions) }
}
