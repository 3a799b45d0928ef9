// `npm run bench`: prints numbers that describe what users feel. Not a test: nothing here passes
// or fails, and results vary with the machine.

export async function runBenchmarks(_args: string[]): Promise<void> {
  console.log("== Jobber sandbox ==");
  const { runSandboxBench } = await import("./jobber-sandbox/bench.ts");
  await runSandboxBench();
}
