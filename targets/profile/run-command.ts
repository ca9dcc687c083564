/**
 * Runs a command a target profile names (an admin hook, the subject-token command): no shell, so a
 * placeholder's value can never become shell syntax; `node` means the Node that runs gatecrash, so a
 * profile works the same under nvm, CI images and containers. Resolves with stdout; a failure is the
 * caller's error class, carrying the last lines of stderr redacted (a third-party CLI may print a
 * token on failure).
 */
import { spawn } from 'node:child_process'
import { redact } from '../../reports/redact.ts'

export interface CommandRun {
  /** the command and its arguments, placeholders already filled */
  argv: readonly string[]
  cwd: string
  timeoutMs: number
}

/** Why a command did not answer: spawn error, non-zero exit or timeout, in one line (stderr tail redacted). */
export class CommandFailure extends Error {}

export function runCommand({ argv, cwd, timeoutMs }: CommandRun): Promise<string> {
  const [bin, ...args] = argv
  return new Promise((resolve, reject) => {
    const child = spawn(bin === 'node' ? process.execPath : bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', (e) => reject(new CommandFailure(e.message, { cause: e })))
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(out)
      const tail = redact(err.trim().split('\n').slice(-3).join(' | '))
      const how = signal === 'SIGKILL' ? `was stopped after ${timeoutMs} ms` : `exited with ${code ?? signal}`
      reject(new CommandFailure(`${how}${tail ? `: ${tail}` : ''}`))
    })
  })
}
