/**
 * The files of the concurrent-writer test (test/resilience/concurrency.test.ts and
 * test/fixtures/concurrency-writer.mts): deterministic per writer, so the parent knows every
 * content without asking the children. Own files spread over directories every writer creates
 * (mkdir races); shared paths get each writer's own content of a different size (1–64 KiB), so
 * a torn or mixed file matches none of them.
 */
import { seeded } from './seeded.js'

export interface GeneratedFile {
  path: string
  content: string
}

function body(seed: number, size: number): string {
  const rng = seeded(seed)
  const lines: string[] = []
  let length = 0
  for (let i = 0; length < size; i++) {
    const line = `export const v${i} = ${JSON.stringify(rng.bytes(rng.int(8, 40)).join('.'))}\n`
    lines.push(line)
    length += line.length
  }
  return lines.join('')
}

export function ownFile(writer: number, k: number): GeneratedFile {
  return { path: `gen/d${k % 10}/w${writer}-${k}.ts`, content: `// writer ${writer}, file ${k}\n${body(writer * 100_003 + k, 64 + (k % 7) * 300)}` }
}

export function sharedFile(writer: number, k: number): GeneratedFile {
  const size = 1024 + seeded(writer * 7_919 + k).int(0, 63 * 1024)
  return { path: `gen/shared/s${k}.ts`, content: `// shared ${k}, by writer ${writer}\n${body(writer * 31 + k * 1_000_003, size)}` }
}
