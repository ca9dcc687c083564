// autocannon ships no types; the bench uses only its programmatic entry point.
declare module 'autocannon' {
  function autocannon(opts: Record<string, unknown>, cb: (err: Error | null, result: any) => void): unknown
  export default autocannon
}
