/**
 * The layer check (`npm run check:layers`, run in CI): no import circle between files or between
 * folders, and no import from a lower layer into a higher one. Type-only imports count too.
 *
 *   errors ← core ← history ← observe ← plugin ← adapters ← frameworks ← plugins/ entries, cli/, src/index.ts
 *   pipeline/ (emit-optimizer run) sits beside frameworks/; writer sits on core (errors, core only); cli/ and src/index.ts use them.
 */
const layer = (name, mayImport) => ({
  name: `layer-${name}`,
  comment: `src/${name}/ may import only ${mayImport.join(', ')} (and node/npm packages)`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^(src|plugins)/', pathNot: [`^src/${name}/`, ...mayImport.map((dir) => (dir.endsWith('.ts') ? `^src/${dir.replace('.', '\\.')}$` : `^src/${dir}/`))] },
})

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import circle: split the shared part into a file both can import.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      comment: 'Folders that import each other (also via several files): the layers must form a line.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'layer-errors',
      comment: 'src/errors.ts is the bottom layer: it imports nothing of ours.',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^(src|plugins)/' },
    },
    layer('core', ['errors.ts']),
    layer('history', ['errors.ts', 'core']),
    layer('observe', ['errors.ts', 'core', 'history']),
    layer('plugin', ['errors.ts', 'core', 'history', 'observe']),
    layer('adapters', ['errors.ts', 'core', 'history', 'observe', 'plugin']),
    layer('frameworks', ['errors.ts', 'core', 'history', 'observe', 'plugin', 'adapters']),
    layer('pipeline', ['errors.ts', 'core', 'history', 'observe', 'plugin', 'adapters']),
    layer('writer', ['errors.ts', 'core']),
    layer('cli', ['errors.ts', 'core', 'history', 'observe', 'plugin', 'pipeline', 'writer']),
    {
      name: 'entries-on-top',
      comment: 'Nothing imports the public entries (plugins/, src/index.ts) or the CLI.',
      severity: 'error',
      from: { path: '^(src|plugins)/', pathNot: '^src/cli/' },
      to: { path: '^(plugins/|src/index\\.ts$|src/cli/)' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve (a moved file?).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'types', 'default'], mainFields: ['module', 'main', 'types', 'typings'] },
  },
}
