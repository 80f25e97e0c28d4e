// The builds the bundler benchmark times: a generated app and, per bundler, one build through its
// JS API with the same config for the native and the plugin variant. Shared by bench/bundlers.mjs
// (the parent) and bench/build-once.mjs (one whole-process build).
import fs from 'node:fs'
import path from 'node:path'

// ---------------------------------------------------------------------------------------------
// Generated app: src/main.js dynamically imports every src/m/mNNN.js, so each module becomes its
// own output chunk. Written once per bundler (untimed) into bench/.work/bundlers/<bundler>/app.
// ---------------------------------------------------------------------------------------------

export const modName = (i) => `m${String(i).padStart(3, '0')}`

export function moduleSource(i, variant = 0) {
  // ~600 bytes of plain code; `variant` changes one string literal (the one-module change).
  const name = modName(i)
  const lines = [`// generated module ${name}`, `export const id = ${i}`, `export const label = '${name} v${variant}'`]
  for (let k = 0; k < 6; k++) {
    lines.push(`export function f${k}(x) {`, `  const y = x * ${i + 1} + ${k}`, `  return { id, k: ${k}, y, text: label + ':' + String(y) }`, '}')
  }
  lines.push(`export default function run(x) { return [f0(x), f1(x), f2(x), f3(x), f4(x), f5(x)] }`, '')
  return lines.join('\n')
}

export function writeApp(appDir, modules) {
  fs.mkdirSync(path.join(appDir, 'src', 'm'), { recursive: true })
  const loaders = Array.from({ length: modules }, (_, i) => `  () => import('./m/${modName(i)}.js'),`).join('\n')
  fs.writeFileSync(
    path.join(appDir, 'src', 'main.js'),
    `const loaders = [\n${loaders}\n]\nexport async function load(i, x) {\n  const mod = await loaders[i % loaders.length]()\n  return mod.default(x)\n}\nload(0, 1).then((r) => console.log(r))\n`,
  )
  for (let i = 0; i < modules; i++) fs.writeFileSync(path.join(appDir, 'src', 'm', `${modName(i)}.js`), moduleSource(i))
  fs.writeFileSync(path.join(appDir, 'index.html'), '<!doctype html>\n<html><head><title>bench</title></head><body><script type="module" src="/src/main.js"></script></body></html>\n')
}

// ---------------------------------------------------------------------------------------------
// Builds. Each takes (appDir, outDir, plugin | undefined) and resolves once the output is on disk.
// The config is the same for both variants; the plugin variant only adds the plugin. Minifiers
// and sourcemaps are off to keep the run short (and to make the plugin's share of the time larger,
// not smaller). Output cleaning follows examples/*: Vite empties outDir, Rolldown `cleanDir`,
// webpack/Rspack `output.clean`; Rollup and esbuild do not clean.
// ---------------------------------------------------------------------------------------------

export const BUILDS = {
  vite: {
    api: "vite build({ configFile: false, root, build: { outDir, emptyOutDir: true, minify: false, reportCompressedSize: false } })",
    async build(appDir, outDir, plugin) {
      const { build } = await import('vite')
      await build({
        configFile: false,
        root: appDir,
        logLevel: 'silent',
        // outDir is outside root, so emptyOutDir is set to what Vite does by default for an outDir inside root.
        build: { outDir, emptyOutDir: true, minify: false, sourcemap: false, reportCompressedSize: false, write: true },
        plugins: plugin ? [plugin] : [],
      })
    },
  },
  rollup: {
    api: "rollup({ input }) → bundle.write({ dir, format: 'es', chunkFileNames: 'chunks/[name]-[hash].js' }) → bundle.close()",
    async build(appDir, outDir, plugin) {
      const { rollup } = await import('rollup')
      const bundle = await rollup({ input: { main: path.join(appDir, 'src', 'main.js') }, plugins: plugin ? [plugin] : [], onwarn() {} })
      try {
        await bundle.write({ dir: outDir, format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' })
      } finally {
        await bundle.close()
      }
    },
  },
  rolldown: {
    api: "rolldown({ input, cwd }) → bundle.write({ dir, format: 'es', cleanDir: true, chunkFileNames: 'chunks/[name]-[hash].js' }) → bundle.close()",
    async build(appDir, outDir, plugin) {
      const { rolldown } = await import('rolldown')
      const bundle = await rolldown({ input: { main: path.join(appDir, 'src', 'main.js') }, cwd: appDir, logLevel: 'silent', plugins: plugin ? [plugin] : [] })
      try {
        await bundle.write({ dir: outDir, format: 'es', cleanDir: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' })
      } finally {
        await bundle.close()
      }
    },
  },
  webpack: {
    api: "webpack({ mode: 'production', cache: false, optimization.minimize: false, output.clean: true, [contenthash] names }) → compiler.run → compiler.close",
    async build(appDir, outDir, plugin) {
      const { default: webpack } = await import('webpack')
      await runCompiler(webpack, webpackLikeConfig(appDir, outDir, plugin))
    },
  },
  rspack: {
    api: "rspack({ mode: 'production', cache: false, optimization.minimize: false, output.clean: true, [contenthash] names }) → compiler.run → compiler.close",
    async build(appDir, outDir, plugin) {
      const { rspack } = await import('@rspack/core')
      await runCompiler(rspack, webpackLikeConfig(appDir, outDir, plugin))
    },
  },
  esbuild: {
    api: "esbuild.build({ bundle, splitting, format: 'esm', absWorkingDir, outdir, chunkNames: 'chunks/[name]-[hash]' })",
    async build(appDir, outDir, plugin) {
      const esbuild = await import('esbuild')
      const result = await esbuild.build({
        absWorkingDir: appDir,
        entryPoints: ['src/main.js'],
        bundle: true,
        splitting: true,
        format: 'esm',
        outdir: outDir,
        entryNames: '[dir]/[name]',
        chunkNames: 'chunks/[name]-[hash]',
        logLevel: 'silent',
        plugins: plugin ? [plugin] : [],
      })
      if (result.errors.length) throw new Error(`esbuild: ${result.errors.map((e) => e.text).join('; ')}`)
    },
  },
}

function webpackLikeConfig(appDir, outDir, plugin) {
  return {
    mode: 'production',
    context: appDir,
    entry: './src/main.js',
    cache: false,
    devtool: false,
    stats: 'none',
    infrastructureLogging: { level: 'none' },
    performance: { hints: false },
    optimization: { minimize: false },
    output: { path: outDir, filename: '[name].[contenthash:8].js', chunkFilename: '[id].[contenthash:8].js', clean: true },
    plugins: plugin ? [plugin] : [],
  }
}

function runCompiler(factory, config) {
  return new Promise((resolve, reject) => {
    const compiler = factory(config)
    compiler.run((err, stats) => {
      compiler.close((closeErr) => {
        if (err || closeErr) return reject(err ?? closeErr)
        if (stats?.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })))
        resolve()
      })
    })
  })
}

