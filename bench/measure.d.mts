// Types of the measure.mjs helpers the TypeScript benchmarks use.
export declare function median(xs: readonly number[]): number
export declare function round2(x: number): number | null
export declare function settle(): void
export declare function mergeResults(file: string, patch: Record<string, unknown>): void
