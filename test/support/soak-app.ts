/**
 * The app of the watch-mode soak (test/resilience/soak.test.ts, test/fixtures/soak-watch.mts): an entry
 * with a registry of dynamically imported modules (one chunk each), two libraries they share,
 * and seeded random edits that each touch one source file: change a module (its chunk and the
 * entry are rewritten, the old chunk deleted), rewrite one with the same bytes (nothing
 * written), add a module or remove one (chunks added / deleted).
 */
import fs from 'node:fs'
import path from 'node:path'
import type { InputOptions, OutputOptions, Plugin } from 'rolldown'
import type { Rng } from './seeded.js'

export type EditKind = 'change' | 'same' | 'add' | 'remove' | 'lib'

const INITIAL_MODULES = 12
const MIN_MODULES = 4
const MAX_MODULES = 24

export function rolldownInput(root: string, plugins: Plugin[]): InputOptions {
  return { cwd: root, input: path.join(root, 'src/main.js'), logLevel: 'silent', plugins }
}

export function rolldownOutput(root: string): OutputOptions {
  return { dir: path.join(root, 'dist'), sourcemap: true, chunkFileNames: 'chunks/[name]-[hash].js' }
}

export class SoakApp {
  /** Ids of the modules the registry imports, in registry order. */
  private readonly live: number[] = []
  private nextId = 0
  private readonly src: string

  constructor(
    readonly root: string,
    private readonly rng: Rng,
  ) {
    this.src = path.join(root, 'src')
    fs.mkdirSync(this.src, { recursive: true })
    this.writeLib('a')
    this.writeLib('b')
    for (let i = 0; i < INITIAL_MODULES; i++) this.addModuleFile()
    this.writeRegistry()
  }

  /** One edit of one watched file; what it was, for the figures. */
  edit(): EditKind {
    const roll = this.rng.next()
    if (roll < 0.15 && this.live.length < MAX_MODULES) {
      // The new file is not imported yet, so only the registry write triggers the rebuild.
      this.addModuleFile()
      this.writeRegistry()
      return 'add'
    }
    if (roll < 0.3 && this.live.length > MIN_MODULES) {
      const [id] = this.live.splice(this.rng.int(0, this.live.length - 1), 1)
      this.writeRegistry()
      // Unimported from now on; a rebuild its removal may cause writes the same output.
      fs.rmSync(this.modulePath(id!))
      return 'remove'
    }
    if (roll < 0.35) {
      this.writeLib(this.rng.pick(['a', 'b']))
      return 'lib'
    }
    const id = this.rng.pick(this.live)
    if (roll < 0.55) {
      fs.writeFileSync(this.modulePath(id), fs.readFileSync(this.modulePath(id)))
      return 'same'
    }
    this.writeModule(id)
    return 'change'
  }

  private modulePath(id: number): string {
    return path.join(this.src, `mod-${id}.js`)
  }

  private word(): string {
    return this.rng.pick(['alpha', 'bravo', 'chunk', 'delta', 'entry', 'fetch', 'guard', 'hydrate', 'kernel', 'lazy', 'render', 'state', 'token', 'worker'])
  }

  private writeLib(name: 'a' | 'b'): void {
    const lines = [`export const tag${name} = ${JSON.stringify(`${this.word()}-${this.rng.int(0, 1e9)}`)}`, `export function lib${name}(x) {`, `  return \`\${tag${name}}:\${x}\``, '}']
    fs.writeFileSync(path.join(this.src, `lib-${name}.js`), `${lines.join('\n')}\n`)
  }

  private addModuleFile(): void {
    const id = this.nextId++
    this.live.push(id)
    this.writeModule(id)
  }

  private writeModule(id: number): void {
    const lib = id % 2 === 0 ? 'a' : 'b'
    const body = Array.from({ length: this.rng.int(1, 12) }, (_, i) => `export const ${this.word()}${i} = ${JSON.stringify(`${this.word()} ${this.rng.int(0, 1e6)}`)}`)
    const code = [`import { lib${lib} } from './lib-${lib}.js'`, ...body, `export default () => lib${lib}(${JSON.stringify(`mod-${id}`)})`]
    fs.writeFileSync(this.modulePath(id), `${code.join('\n')}\n`)
  }

  private writeRegistry(): void {
    const entries = this.live.map((id) => `  m${id}: () => import('./mod-${id}.js'),`)
    fs.writeFileSync(path.join(this.src, 'main.js'), `export const registry = {\n${entries.join('\n')}\n}\nexport const load = (name) => registry[name]()\n`)
  }
}
