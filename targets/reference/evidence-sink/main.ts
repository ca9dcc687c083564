/** Evidence sink process entry (forked by the adapter); the sink itself is sink.ts. */
import { runComponent } from '../shared/child-main.ts'
import type { SinkConfig } from '../shared/component-config.ts'
import { startSink } from './sink.ts'

runComponent<SinkConfig>('evidence-sink', startSink)
