import { compressBytes, type CompressedSizes, type CompressionLevels } from './compress.js'

/**
 * Below this many bytes to compress, a worker thread costs more than it saves: starting one takes
 * ~15–30 ms of CPU, and the commit overlapping it on the main thread is short anyway.
 */
export const WORKER_MIN_BYTES = 256 * 1024

/**
 * The compressed sizes of `items`, computed on a worker thread so a cold build's compression
 * (~120 ms of CPU for 600 small chunks, most of it brotli allocating its state per call) runs on
 * the other core while the main thread commits, instead of taking turns with it. The worker gets
 * a copy of the bytes, answers once and exits by itself, so an abandoned measurement never holds
 * the process open for longer than its own work.
 */
export function compressInWorker(items: readonly Uint8Array[], levels: CompressionLevels): Promise<CompressedSizes[]> {
  const { Worker } = process.getBuiltinModule('node:worker_threads')
  // The worker runs compressBytes' own source text, so there is one implementation of the sizes.
  const source = [
    `const { parentPort } = require('node:worker_threads')`,
    `const zlib = require('node:zlib')`,
    `const compressBytes = ${compressBytes.toString()}`,
    `parentPort.once('message', ({ items, levels }) => parentPort.postMessage(items.map((bytes) => compressBytes(zlib, bytes, levels))))`,
  ].join('\n')
  const worker = new Worker(source, { eval: true })
  return new Promise<CompressedSizes[]>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the size worker exited with code ${code} before answering`)))
    worker.postMessage({ items, levels })
  })
}
