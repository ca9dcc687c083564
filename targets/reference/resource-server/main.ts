/** Resource server replica process entry (forked by the adapter); the replica itself is replica.ts. */
import { runComponent } from '../shared/child-main.ts'
import type { RsConfig } from '../shared/component-config.ts'
import { startReplica } from './replica.ts'

runComponent<RsConfig>('resource-server', startReplica)
