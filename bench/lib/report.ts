/** What a benchmark child process reports; the orchestrator parses these lines. */
export interface Figure {
  figure: string;
  value: number;
  unit: string;
  /** Name of another figure in the same run this one is compared with. */
  reference?: string;
  /** 'higher' (throughput) or 'lower' (latency, memory) is better: decides the ratio's direction. */
  better?: 'higher' | 'lower';
}

export function report(f: Figure): void {
  console.log(`BENCH ${JSON.stringify(f)}`);
}

/** Peak resident memory of this process so far, in MB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export function seconds(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
