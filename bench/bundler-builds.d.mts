// Types of the bundler-builds.mjs exports the TypeScript benchmarks use.
export declare function writeApp(appDir: string, modules: number): void
