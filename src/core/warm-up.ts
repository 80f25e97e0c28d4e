import { loadHasher } from './hash.js'
import { loadPQueue } from './queue.js'

/**
 * Starts loading what the first commit of a process needs (xxhash-wasm and its WebAssembly
 * compile, p-queue) while the bundler is still building, so the commit does not wait for it.
 * Adapters call it when a build starts; only a build that commits pays for the modules.
 * Idempotent, and never rejects: a failure shows up again where the commit loads them.
 */
export function warmUpEngine(): void {
  loadHasher().catch(() => {})
  loadPQueue().catch(() => {})
}
