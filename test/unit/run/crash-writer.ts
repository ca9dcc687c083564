/**
 * A run that dies: records attempts through the real attempt log (and, when asked, the evidence a
 * finalizing run had read so far), waits until they are committed, then kills itself with SIGKILL,
 * leaving run.db and its WAL as a crashed `gatecrash run` would. Run by crash.test.ts as
 *   node crash-writer.ts <run.db> <attempts> <with-evidence: 0|1>
 */
import { AttemptLog } from '../../../harness/run/attempt-log.ts'
import { RunStore } from '../../../harness/run/run-store.ts'
import { attack, chain, legit, recordFor } from '../oracle/fixtures.ts'

const [file, n, withEvidence] = process.argv.slice(2)
const attempts = Array.from({ length: Number(n) }, (_, i) => (i % 4 === 3 ? attack(i + 1, 'escalate.tool-scope') : legit(i + 1)))
const log = await AttemptLog.open(file)
for (const a of attempts) log.append(a)
await log.sync()
if (withEvidence === '1') {
  // finalizing: the writer thread has committed everything, evidence pages are going in
  const store = RunStore.open(file)
  store.appendEvidence(chain(attempts.map((a) => recordFor(a))))
}
// one more attempt that is still buffered when the process dies: lost, as documented
log.append(legit(Number(n) + 1))
process.kill(process.pid, 'SIGKILL')
