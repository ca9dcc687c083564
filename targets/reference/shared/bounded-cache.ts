/**
 * A Map that forgets its oldest entry once full. Caches that a client can fill (tokens, proof keys)
 * must stay bounded; insertion order is a good enough eviction order for them.
 */
export class BoundedCache<K, V> {
  readonly #max: number
  readonly #map = new Map<K, V>()

  constructor(max: number) {
    this.#max = max
  }

  get(key: K): V | undefined {
    return this.#map.get(key)
  }

  set(key: K, value: V): void {
    if (this.#map.has(key)) this.#map.delete(key)
    else if (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next()
      if (oldest.done !== true) this.#map.delete(oldest.value)
    }
    this.#map.set(key, value)
  }

  get size(): number {
    return this.#map.size
  }
}
