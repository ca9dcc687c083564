/**
 * A profile's subject-token command (principals.command): the placeholders it gets, one fresh token
 * per call, a bounded number at once, and a coded error with a hint (never the output itself, which
 * may hold a token) when it fails, times out or prints anything but one token.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { commandSubjectTokens } from '../../../targets/profile/subject-token-command.ts'
import { SUBJECT_JWT } from '../../../harness/protocol/oauth-client.ts'

const principal = { id: 'user_7', tenant: 't_2', entitlements: ['tickets:read', 'kb:read'] }
const AS = 'http://127.0.0.1:8100'

async function scriptDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatecrash-subject-'))
  for (const [name, body] of Object.entries(files)) await writeFile(path.join(dir, name), body)
  return dir
}

describe('principals.command: subject tokens from a command the profile names', () => {
  test('each placeholder reaches its argument; each call runs the command again (a token is never reused)', async () => {
    const dir = await scriptDir({
      'print.mjs': `import { appendFileSync } from 'node:fs'
appendFileSync('calls.log', JSON.stringify(process.argv.slice(2)) + '\\n')
console.log(Buffer.from(process.argv.slice(2).join('|')).toString('base64url') + '.' + process.hrtime.bigint())`,
    })
    const source = commandSubjectTokens({ run: ['node', 'print.mjs', '--user={principal}', '{tenant}', '{scope}', '{audience}'] }, dir)
    expect(source.tokenType).toBe(SUBJECT_JWT)
    const [a, b] = [await source.subjectTokenFor(principal, AS), await source.subjectTokenFor(principal, AS)]
    expect(Buffer.from(a.split('.')[0], 'base64url').toString()).toBe(`--user=user_7|t_2|tickets:read kb:read|${AS}`)
    expect(a).not.toBe(b)
    const calls = (await readFile(path.join(dir, 'calls.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    expect(calls).toEqual([
      ['--user=user_7', 't_2', 'tickets:read kb:read', AS],
      ['--user=user_7', 't_2', 'tickets:read kb:read', AS],
    ])
  })

  test('tokenType is what the exchange will name (RFC 8693 §3)', () => {
    const source = commandSubjectTokens({ run: ['true'], tokenType: 'urn:ietf:params:oauth:token-type:id_token' }, '.')
    expect(source.tokenType).toBe('urn:ietf:params:oauth:token-type:id_token')
  })

  test('no more than `concurrency` run at once', async () => {
    const dir = await scriptDir({
      'slow.mjs': `import { appendFileSync } from 'node:fs'
appendFileSync('spans.log', 'start ' + Date.now() + '\\n')
await new Promise((r) => setTimeout(r, 150))
appendFileSync('spans.log', 'end ' + Date.now() + '\\n')
console.log('tok' + process.pid)`,
    })
    const source = commandSubjectTokens({ run: ['node', 'slow.mjs'], concurrency: 2 }, dir)
    await Promise.all(Array.from({ length: 6 }, () => source.subjectTokenFor(principal, AS)))
    // replay the log: how many were between start and end at the busiest moment
    let running = 0
    let most = 0
    for (const line of (await readFile(path.join(dir, 'spans.log'), 'utf8')).trim().split('\n')) {
      running += line.startsWith('start') ? 1 : -1
      most = Math.max(most, running)
    }
    expect(most).toBe(2)
  })

  test('a failing command is ERR_SUBJECT_TOKEN naming the principal, with a hint; a token on its stderr is redacted', async () => {
    const leaked = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyXzcifQ.c2lnbmF0dXJlc2lnbmF0dXJlc2ln'
    const dir = await scriptDir({ 'fail.mjs': `console.error('login expired, last token ${leaked}'); process.exit(4)` })
    const err = await commandSubjectTokens({ run: ['node', 'fail.mjs', '{principal}'] }, dir).subjectTokenFor(principal, AS).catch((e) => e)
    expect(err).toMatchObject({ code: 'ERR_SUBJECT_TOKEN', message: expect.stringContaining('user_7: exited with 4'), hint: expect.stringContaining('node fail.mjs user_7') })
    expect(err.message).toContain('login expired')
    expect(err.message).not.toContain(leaked.split('.')[1])
  })

  test('a command that hangs is stopped at its timeout: ERR_SUBJECT_TOKEN', async () => {
    const dir = await scriptDir({ 'hang.mjs': 'setTimeout(() => {}, 60_000)' })
    const t0 = Date.now()
    const err = await commandSubjectTokens({ run: ['node', 'hang.mjs'], timeout: '300ms' }, dir).subjectTokenFor(principal, AS).catch((e) => e)
    expect(err).toMatchObject({ code: 'ERR_SUBJECT_TOKEN', message: expect.stringContaining('stopped after 300 ms') })
    expect(Date.now() - t0).toBeLessThan(10_000)
  })

  test.each([
    ['nothing', ''],
    ['two lines', 'aaa.bbb.ccc\\nddd.eee.fff'],
    ['a JSON envelope', '{"access_token":"aaa.bbb.ccc"}'],
  ])('output that is not one token (%s) is refused, without quoting it', async (_, printed) => {
    const dir = await scriptDir({ 'print.mjs': `process.stdout.write("${printed}")` })
    const err = await commandSubjectTokens({ run: ['node', 'print.mjs'] }, dir).subjectTokenFor(principal, AS).catch((e) => e)
    expect(err).toMatchObject({ code: 'ERR_SUBJECT_TOKEN' })
    if (printed) expect(err.message).not.toContain('aaa.bbb.ccc')
  })

  test('a command that does not exist is ERR_SUBJECT_TOKEN, not a crash', async () => {
    const err = await commandSubjectTokens({ run: ['/nonexistent/idp-cli', '{principal}'] }, '.').subjectTokenFor(principal, AS).catch((e) => e)
    expect(err).toMatchObject({ code: 'ERR_SUBJECT_TOKEN', message: expect.stringContaining('ENOENT') })
  })
})
