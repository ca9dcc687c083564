/**
 * Runs an async function over many items with at most `concurrency` in flight. Provisioning
 * thousands of identities with an unbounded `Promise.all` would open thousands of sockets at once
 * and swamp the target's AS before the measured phase even starts.
 *
 * Fail fast: after the first rejection no new item starts; items in flight finish, then the first
 * error is thrown. `completed` tells the caller which items succeeded (e.g. to clean them up).
 *
 * @example
 *   await forEachBounded(identities, 16, async (id) => register(id))
 */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError(`concurrency must be a positive integer, got ${concurrency}`)
  let next = 0
  let failure: { error: unknown } | null = null
  const worker = async () => {
    while (failure === null && next < items.length) {
      const index = next++
      try {
        await fn(items[index], index)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  if (failure !== null) throw (failure as { error: unknown }).error
}
