/**
 * BENCH_CPU_PROFILE_DIR=dir: every case process and every server a case starts writes a V8 CPU
 * profile there when it exits (open in Chrome DevTools or any .cpuprofile viewer).
 */
export const cpuProfileArgs = (): string[] => {
  const dir = process.env.BENCH_CPU_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
};
