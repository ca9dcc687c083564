#!/usr/bin/env node
// The bin only checks the runtime and delegates: the CLI itself is TypeScript run by Node 24.
const [major] = process.versions.node.split('.').map(Number)
if (major < 24) {
  process.stderr.write(
    `gatecrash needs Node.js 24 or newer (this is ${process.version}).\n` +
      `hint: run it through npm (npm start, npx gatecrash …), which uses the Node 24 installed by npm ci.\n`,
  )
  process.exit(1)
}
const { main } = await import('../cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
