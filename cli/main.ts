/**
 * The CLI: parses flags, wires plugins (targets, reporters) into the engine, prints, and maps
 * errors to exit codes. It is the only place that decides the process's exit status.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { CliUsage, isHarnessError } from '../harness/contracts/errors.ts'
import { EXIT, exitCodeForError } from './exit-codes.ts'

const USAGE = `gatecrash: load and chaos tests for the privilege boundaries of AI-agent deployments

usage:
  gatecrash run <scenario.ts> [--target reference|<profile.ts>] [--flaw NAME]... [--seed N] [--out DIR]
                              [--agents N] [--rate R] [--duration D] [--workers N]
                              [--container replay-store|evidence-sink]... [--baseline <run-dir> [--strict]]
                                             --baseline: compare with a finished run when done (as diff does)
  gatecrash catalog [--json]                 attack cases with rules and expected responses
  gatecrash target check <profile.ts>|reference [--json] [--call-writes]
                                             one of everything a run does, before a run; write tools are called
                                             only with a fixture the profile declares, or once each with --call-writes
  gatecrash target start reference [--flaw NAME]... [--container NAME]...   start the reference target alone
  gatecrash target flaws                     the reference target's flaw switches
  gatecrash report <run-dir> [--out DIR] [--pdf]
                                             re-grade a run from its logs with today's gates and re-render its reports
                                             (the Markdown and HTML reports, junit.xml, CSVs); a signed run (or --out) is
                                             re-graded into a new directory, never in place; --pdf also prints
                                             report.html to report.pdf with the system's Chromium (GATECRASH_CHROMIUM,
                                             default /usr/bin/chromium)
  gatecrash bundle sign <run-dir> [--key FILE | --key-env VAR] [--force]
                                             sign every file of a finished run (DSSE envelope of an in-toto statement);
                                             without a key: self-signed, which proves nothing about who ran it
  gatecrash verify <run-dir> [--key FILE] [--json]
                                             check a signed run against a public key you trust (--key or GATECRASH_TRUSTED_KEY):
                                             signature, every file's digest, the evidence chains
  gatecrash trace <run-dir> <trace-id> [--json]
                                             one transaction rebuilt from the target's records (principal → agent →
                                             sub-agent → exchanges → the call) beside what the harness sent;
                                             exit 99 when they differ, 104 for a trace id the run never sent
  gatecrash diff <baseline-run-dir> <run-dir> [--json] [--strict]
                                             what got worse since the baseline: case verdicts, gates, coverage,
                                             families (hard); latency and evidence lag beyond tolerance (soft,
                                             counted with --strict); improvements
  gatecrash idp init [--key-file PATH]       the workforce IdP's stable key, and the issuer and JWKS an AS must trust
  gatecrash selftest [--fast] [--json] [--flaw NAME]… [--correct-only]
                                             catalog × flawed reference targets: the detection matrix;
                                             --correct-only: the whole catalog against the correct target alone

exit codes: 0 ready · 99 gates failed or an abortOnFail threshold crossed (not ready) · 104 invalid scenario, profile or flags · 105 stopped early
            by the user · 107 scenario script error · 120 target check: a run cannot start · 121 verify: a signed run does not hold
            · 122 regressed against the baseline (diff, or run --baseline of a run READY on its own gates) · 1 internal error
            · 130 aborted (second Ctrl-C)`

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'run':
        return await (await import('./commands/run.ts')).runCommand(rest)
      case 'catalog':
        return await (await import('./commands/catalog.ts')).catalogCommand(rest)
      case 'target':
        return await (await import('./commands/target.ts')).targetCommand(rest)
      case 'report':
        return await (await import('./commands/report.ts')).reportCommand(rest)
      case 'bundle':
        return await (await import('./commands/bundle.ts')).bundleCommand(rest)
      case 'verify':
        return await (await import('./commands/verify.ts')).verifyCommand(rest)
      case 'trace':
        return await (await import('./commands/trace.ts')).traceCommand(rest)
      case 'diff':
        return await (await import('./commands/diff.ts')).diffCommand(rest)
      case 'idp':
        return await (await import('./commands/idp.ts')).idpCommand(rest)
      case 'selftest':
        return await (await import('./commands/selftest.ts')).selftestCommand(rest)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`)
        return command === undefined ? EXIT.invalidConfig : EXIT.ready
      default:
        throw new CliUsage(`unknown command '${command}'`, { hint: 'commands: run, catalog, target, report, diff, trace, bundle, verify, selftest, idp (gatecrash --help)' })
    }
  } catch (e) {
    printError(e)
    return exitCodeForError(e)
  }
}

export function printError(e: unknown): void {
  if (isHarnessError(e)) {
    process.stderr.write(`error ${e.code}: ${e.message}\n`)
    if (e.hint) process.stderr.write(`hint: ${e.hint}\n`)
    return
  }
  // Not a user mistake: keep the stack, it is what a bug report needs.
  process.stderr.write(`internal error: ${(e as Error)?.stack ?? String(e)}\n`)
}

/** parseArgs with errors turned into CliUsage (exit 104) instead of a stack trace. */
export function parseFlags<T extends ParseArgsConfig['options']>(args: string[], options: T, command: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (e) {
    throw new CliUsage(`${command}: ${(e as Error).message}`, { hint: `see gatecrash --help for the flags of '${command}'` })
  }
}
