/**
 * The one installer of the framework suites and benches (test/frameworks/, bench/frameworks-*):
 * pinned packages from the npm registry into
 * `node_modules/.cache/eo-frameworks/<name>-<hash of what is installed>`, once, reused while
 * complete. Test files run in parallel processes: each installs into its own temporary sibling
 * and renames it into place, so no reader sees a half-finished install and the first complete
 * one wins. Every step has a bounded timeout and logs what it does.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { exec } from './run.js'

export const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const CACHE = path.join(REPO, 'node_modules', '.cache', 'eo-frameworks')
/** Written last into a finished install. */
const COMPLETE = '.eo-complete'
const INSTALL_TIMEOUT_MS = 10 * 60_000

export interface InstallSpec {
  /** The cache dir's prefix: `astro`, `rsbuild`. */
  name: string
  /** Exact versions. */
  dependencies: Record<string, string>
  /** Installed too; the template's package.json lists them as devDependencies. */
  devDependencies?: Record<string, string>
  /** npm `overrides` (Nuxt's Vite). */
  overrides?: Record<string, string>
  /** Run the packages' install scripts (otherwise `--ignore-scripts`). @default false */
  scripts?: boolean
  /**
   * A starter published as files of an npm package (create-rsbuild's templates): its `dirs` copied
   * in order (later ones win) into `<install>/template`, `renames` applied (create-* tools publish
   * `gitignore` for `.gitignore`), its package.json's dependencies replaced by the pinned ones.
   */
  template?: { package: string; dirs: string[]; renames?: Record<string, string> }
}

export interface Installed {
  dir: string
  /** The packages, which projects link (project.ts). */
  modules: string
  /** The starter's files, with a `template` spec. */
  template: string
}

export function log(message: string): void {
  process.stderr.write(`[eo-frameworks] ${message}\n`)
}

/** `command` in `cwd`, which must succeed. */
async function must(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { code, output } = await exec(command, args, { cwd, env, timeoutMs: INSTALL_TIMEOUT_MS })
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd} (exit ${code}):\n${output}`)
  return output
}

async function unpackTemplate(spec: InstallSpec, template: NonNullable<InstallSpec['template']>, work: string): Promise<void> {
  await must('npm', ['pack', template.package, '--silent', '--pack-destination', work], work)
  const tarball = path.join(
    work,
    fs.readdirSync(work).find((file) => file.endsWith('.tgz'))!,
  )
  await must('tar', ['-xzf', tarball, '-C', work], work)
  const files = path.join(work, 'template')
  for (const sub of template.dirs) fs.cpSync(path.join(work, 'package', sub), files, { recursive: true })
  for (const [from, to] of Object.entries(template.renames ?? {}))
    if (fs.existsSync(path.join(files, from))) fs.renameSync(path.join(files, from), path.join(files, to))
  const manifest = JSON.parse(fs.readFileSync(path.join(files, 'package.json'), 'utf8')) as Record<string, unknown>
  const pinned = { ...manifest, name: `${spec.name}-starter`, dependencies: spec.dependencies, devDependencies: spec.devDependencies }
  fs.writeFileSync(path.join(files, 'package.json'), `${JSON.stringify(pinned, null, 2)}\n`)
  fs.rmSync(path.join(work, 'package'), { recursive: true })
  fs.rmSync(tarball)
}

/** Moves the finished `work` to `dir`, unless another process's complete install got there first. */
function place(work: string, dir: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(work, dir)
      return
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt > 0) throw error
    }
    if (fs.existsSync(path.join(dir, COMPLETE))) return
    // A dir without the stamp is an interrupted install of an older version of this code.
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The installed spec, installing it when missing. `node`: a Node binary npm runs under (its
 * engines checks and install scripts see that Node); by default this process's PATH's.
 */
export async function install(spec: InstallSpec, node?: string): Promise<Installed> {
  const { name: _name, ...pins } = spec
  const dir = path.join(CACHE, `${spec.name}-${createHash('sha256').update(JSON.stringify(pins)).digest('hex').slice(0, 12)}`)
  const installed = { dir, modules: path.join(dir, 'node_modules'), template: path.join(dir, 'template') }
  if (fs.existsSync(path.join(dir, COMPLETE))) return installed
  fs.mkdirSync(CACHE, { recursive: true })
  const work = fs.mkdtempSync(`${dir}.installing-`)
  // mkdtemp's 0700 would make the install private; it is shared like the rest of node_modules.
  fs.chmodSync(work, 0o755)
  try {
    const all = { ...spec.dependencies, ...spec.devDependencies }
    log(
      `npm install into ${path.relative(REPO, dir)}${spec.template ? ` (template ${spec.template.package}: ${spec.template.dirs.join(' + ')})` : ''}: ${Object.entries(
        all,
      )
        .map(([pkg, version]) => `${pkg}@${version}`)
        .join(', ')} …`,
    )
    const started = performance.now()
    if (spec.template) await unpackTemplate(spec, spec.template, work)
    const manifest = { name: `eo-${spec.name}`, private: true, type: 'module', dependencies: all, ...(spec.overrides ? { overrides: spec.overrides } : {}) }
    fs.writeFileSync(path.join(work, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    const env = {
      ...process.env,
      npm_config_update_notifier: 'false',
      ...(node ? { PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` } : {}),
    }
    const flags = ['--no-audit', '--no-fund', '--loglevel=error', '--fetch-timeout=60000', '--fetch-retries=2', ...(spec.scripts ? [] : ['--ignore-scripts'])]
    fs.writeFileSync(path.join(work, 'install.log'), await must('npm', ['install', ...flags], work, env))
    fs.writeFileSync(path.join(work, COMPLETE), `${new Date().toISOString()}\n`)
    place(work, dir)
    log(`${spec.name} installed in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    return installed
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}
