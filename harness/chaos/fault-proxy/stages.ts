/**
 * One toxic acting on one direction of one connection (Toxiproxy's ToxicStub + Pipe), with the
 * behaviours of Toxiproxy's toxics (Shopify/toxiproxy `toxics/*.go`):
 *
 * - latency: every chunk leaves `latency ± jitter` ms after it reached the toxic, in order; the
 *   end of the stream follows the last chunk without extra delay.
 * - bandwidth: at most `rate` KB/s (1 KB = 1000 bytes, as Toxiproxy counts), larger chunks cut
 *   into 100 ms slices; `rate` 0 means unlimited.
 * - slow_close: data passes; the end of the stream is held `delay` ms.
 * - timeout: data is dropped; `timeout` ms after the last chunk (or after the toxic applied) the
 *   connection is closed; 0 never closes. Removing the toxic closes the connections it held, as
 *   Toxiproxy's Cleanup does (the stream lost data, so it cannot resume).
 * - reset_peer: the first chunk (or end of stream) is dropped and `timeout` ms later both sides
 *   get a TCP RST.
 *
 * Toxicity is rolled per connection (stage.ts). Removing a toxic (heal) lets everything it holds
 * through at once, in order.
 */
import { performance } from 'node:perf_hooks'
import { Stage, type StageHost } from './stage.ts'
import type { Toxic } from '../toxiproxy-wire.ts'

type Held = { chunk: Buffer; at: number } | { chunk: null; hard: boolean; at: number }

class LatencyStage extends Stage {
  #queue: Held[] = []
  #timer: NodeJS.Timeout | null = null

  #delay(): number {
    const { latency, jitter } = this.toxic.attributes
    const j = jitter > 0 ? Math.floor(Math.random() * 2 * jitter) - jitter : 0
    return Math.max(0, latency + j)
  }

  write(chunk: Buffer): void {
    if (!this.active) return this.host.forward(this, chunk)
    this.#queue.push({ chunk, at: performance.now() + this.#delay() })
    if (this.#timer === null) this.#pump()
  }

  end(hard: boolean): void {
    if (this.#queue.length === 0) return this.host.forwardEnd(this, hard)
    this.#queue.push({ chunk: null, hard, at: 0 })
  }

  #emit(item: Held): void {
    if (item.chunk === null) this.host.forwardEnd(this, item.hard)
    else this.host.forward(this, item.chunk)
  }

  #pump = (): void => {
    this.#timer = null
    const now = performance.now()
    while (!this.disposed && this.#queue.length > 0 && this.#queue[0].at <= now) this.#emit(this.#queue.shift()!)
    if (!this.disposed && this.#queue.length > 0) this.#timer = setTimeout(this.#pump, Math.max(1, Math.ceil(this.#queue[0].at - now)))
  }

  heal(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    while (!this.disposed && this.#queue.length > 0) this.#emit(this.#queue.shift()!)
  }

  protected override onUpdate(): void {
    if (!this.active) this.heal()
  }

  override dispose(): void {
    super.dispose()
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#queue = []
  }
}

class BandwidthStage extends Stage {
  #queue: Array<Buffer | { hard: boolean }> = []
  /** the slice waiting for its turn, and when it may go (a virtual clock corrects timer drift) */
  #slice: Buffer | null = null
  #clock = 0
  #timer: NodeJS.Timeout | null = null

  write(chunk: Buffer): void {
    if (!this.active) return this.host.forward(this, chunk)
    this.#queue.push(chunk)
    if (this.#timer === null) this.#pump()
  }

  end(hard: boolean): void {
    if (this.#queue.length === 0 && this.#slice === null) return this.host.forwardEnd(this, hard)
    this.#queue.push({ hard })
  }

  #pump = (): void => {
    this.#timer = null
    // each turn sends or schedules one slice, so the loop is bounded by what is queued
    while (!this.disposed) {
      const now = performance.now()
      if (this.#slice === null) {
        const head = this.#queue.shift()
        if (head === undefined) return
        if (!Buffer.isBuffer(head)) {
          this.host.forwardEnd(this, head.hard)
          continue
        }
        const rate = this.toxic.attributes.rate
        if (!(rate > 0)) {
          this.host.forward(this, head)
          continue
        }
        const max = rate * 100 // bytes in 100 ms at `rate` KB/s
        if (head.length > max) this.#queue.unshift(head.subarray(max))
        this.#slice = head.length > max ? head.subarray(0, max) : head
        this.#clock = Math.max(this.#clock, now) + this.#slice.length / rate
      }
      if (this.#clock > now) {
        this.#timer = setTimeout(this.#pump, Math.max(1, Math.ceil(this.#clock - now)))
        return
      }
      const slice = this.#slice
      this.#slice = null
      this.host.forward(this, slice)
    }
  }

  heal(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    if (this.#slice !== null) {
      const slice = this.#slice
      this.#slice = null
      this.host.forward(this, slice)
    }
    while (!this.disposed && this.#queue.length > 0) {
      const head = this.#queue.shift()!
      if (Buffer.isBuffer(head)) this.host.forward(this, head)
      else this.host.forwardEnd(this, head.hard)
    }
  }

  protected override onUpdate(): void {
    if (!this.active) this.heal()
  }

  override dispose(): void {
    super.dispose()
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#queue = []
    this.#slice = null
  }
}

class SlowCloseStage extends Stage {
  #pending: { hard: boolean; timer: NodeJS.Timeout } | null = null

  write(chunk: Buffer): void {
    this.host.forward(this, chunk)
  }

  end(hard: boolean): void {
    if (!this.active) return this.host.forwardEnd(this, hard)
    const timer = setTimeout(() => {
      this.#pending = null
      this.host.forwardEnd(this, hard)
    }, this.toxic.attributes.delay)
    this.#pending = { hard, timer }
  }

  heal(): void {
    const pending = this.#pending
    if (pending === null) return
    clearTimeout(pending.timer)
    this.#pending = null
    this.host.forwardEnd(this, pending.hard)
  }

  override dispose(): void {
    super.dispose()
    if (this.#pending !== null) clearTimeout(this.#pending.timer)
    this.#pending = null
  }
}

class TimeoutStage extends Stage {
  #timer: NodeJS.Timeout | null = null
  #closed = false

  constructor(host: StageHost, toxic: Toxic) {
    super(host, toxic)
    if (this.active) this.#arm()
  }

  #arm(): void {
    this.#disarm()
    const ms = this.toxic.attributes.timeout
    if (ms > 0) this.#timer = setTimeout(() => this.#close(), ms)
  }

  #disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }

  #close(): void {
    this.#disarm()
    if (this.#closed || this.disposed) return
    this.#closed = true
    this.host.forwardEnd(this, true)
  }

  write(chunk: Buffer): void {
    if (!this.active) return this.host.forward(this, chunk)
    this.host.dropped(chunk.length)
    if (!this.#closed) this.#arm() // Toxiproxy waits `timeout` anew after each dropped chunk
  }

  end(hard: boolean): void {
    this.#disarm()
    if (this.#closed) return
    this.#closed = true
    this.host.forwardEnd(this, hard)
  }

  heal(): void {
    if (this.active) this.#close()
  }

  protected override onUpdate(): void {
    if (this.#closed) return
    if (this.active) this.#arm()
    else this.#disarm()
  }

  override dispose(): void {
    super.dispose()
    this.#disarm()
  }
}

class ResetPeerStage extends Stage {
  #timer: NodeJS.Timeout | null = null
  #triggered = false

  #trigger(): void {
    if (this.#triggered) return
    this.#triggered = true
    this.#timer = setTimeout(() => {
      this.#timer = null
      if (!this.disposed) this.host.reset()
    }, this.toxic.attributes.timeout)
  }

  write(chunk: Buffer): void {
    if (!this.active && !this.#triggered) return this.host.forward(this, chunk)
    this.host.dropped(chunk.length)
    this.#trigger()
  }

  end(hard: boolean): void {
    if (!this.active && !this.#triggered) return this.host.forwardEnd(this, hard)
    this.#trigger()
  }

  /** a connection whose data was already dropped cannot heal: reset it now instead of later */
  heal(): void {
    if (!this.#triggered || this.#timer === null) return
    clearTimeout(this.#timer)
    this.#timer = null
    this.host.reset()
  }

  override dispose(): void {
    super.dispose()
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }
}

export function createStage(host: StageHost, toxic: Toxic): Stage {
  switch (toxic.type) {
    case 'latency':
      return new LatencyStage(host, toxic)
    case 'bandwidth':
      return new BandwidthStage(host, toxic)
    case 'slow_close':
      return new SlowCloseStage(host, toxic)
    case 'timeout':
      return new TimeoutStage(host, toxic)
    case 'reset_peer':
      return new ResetPeerStage(host, toxic)
  }
}
