/**
 * The executors moved to ./executors/ (one file per k6 executor, plus the open- and closed-model
 * engines) and the clock to ./clock.ts. This re-export keeps older imports working.
 */
export { epochNow } from './clock.ts'
export { runConstantArrivalRate } from './executors/constant-arrival-rate.ts'
export type { ExecutorStats, IterationContext } from './executors/types.ts'
