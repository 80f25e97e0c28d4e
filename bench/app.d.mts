// Types of app.mjs for the TypeScript benchmarks.
export declare const modName: (i: number) => string
export declare function moduleSource(i: number, variant?: number): string
export declare function writeApp(appDir: string, modules: number): void
