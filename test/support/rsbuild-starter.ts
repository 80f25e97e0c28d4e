/** The official Rsbuild react-ts starter, pinned, and how the tests and bench/frameworks-rsbuild.mts build it. */
import fs from 'node:fs'
import path from 'node:path'
import { runIn, type CommandResult, type StarterSpec } from './frameworks.js'

/** The starter as `npm create rsbuild -- --template react-ts` writes it, pinned. */
export const RSBUILD_STARTER: StarterSpec = {
  name: 'rsbuild',
  templatePackage: 'create-rsbuild@2.2.9',
  templateDirs: ['template-common', 'template-react-ts'],
  renames: { gitignore: '.gitignore' },
  dependencies: { react: '19.3.1', 'react-dom': '19.3.1' },
  devDependencies: {
    '@rsbuild/core': '2.3.2',
    '@rsbuild/plugin-react': '2.1.1',
    '@types/node': '24.19.4',
    '@types/react': '19.3.3',
    '@types/react-dom': '19.3.0',
    typescript: '6.0.3',
  },
}

/** Adds the entry to the starter's config the way its README says: one import, one `plugins` item. */
export function withEntry(app: string, extraPlugins = ''): void {
  const file = path.join(app, 'rsbuild.config.ts')
  const config = fs.readFileSync(file, 'utf8')
  const edited = `import emitOptimizer from 'unplugin-emit-optimizer/rsbuild';\n${config.replace('plugins: [pluginReact()]', `plugins: [pluginReact(), ${extraPlugins}emitOptimizer()]`)}`
  if (!edited.includes('emitOptimizer()]')) throw new Error(`the starter's rsbuild.config.ts changed shape; update withEntry():\n${config}`)
  fs.writeFileSync(file, edited)
}

export const rsbuildBuild = (app: string, env: NodeJS.ProcessEnv = {}): CommandResult => runIn(app, process.execPath, [path.join(app, 'node_modules', '@rsbuild', 'core', 'bin', 'rsbuild.js'), 'build'], env)

