/** Round-robin front process entry (forked by the adapter): one per resource server. */
import { runTcpComponent } from '../shared/child-main.ts'
import type { FrontConfig } from '../shared/component-config.ts'
import { RoundRobinProxy } from './round-robin-proxy.ts'

runTcpComponent<FrontConfig>('front', async (config) => {
  const proxy = new RoundRobinProxy()
  proxy.setUpstreams(config.upstreams)
  return {
    onConnection: (socket) => proxy.handle(socket),
    close: async () => {},
    async onCall(method, params) {
      if (method !== 'set-upstreams') throw new Error(`unknown call ${method}`)
      proxy.setUpstreams((params as { upstreams: string[] }).upstreams)
      return { upstreams: proxy.upstreams }
    },
  }
})
