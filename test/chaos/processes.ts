import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from '../cli.js';

interface Proc {
  name: string;
  child: ChildProcess;
  output: string;
  stopping: boolean;
}

/** The last this many characters of each process's output are kept for the report. */
const KEEP_OUTPUT = 20_000;

/** The ordersys processes of a chaos run (`ordersys serve --role ...`), by name. */
export class Processes {
  private readonly procs = new Map<string, Proc>();
  /** Every reservation batch any worker process logged, with that process's pid. */
  readonly reserveBatches: { pid: number; worker: string; orderIds: string[] }[] = [];

  /** Starts a role and resolves once it says it started. */
  start(name: string, role: 'api' | 'worker', env: NodeJS.ProcessEnv): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'serve', '--role', role], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const proc: Proc = { name, child, output: '', stopping: false };
    this.procs.set(name, proc);
    const keep = (text: string) => {
      proc.output = (proc.output + text).slice(-KEEP_OUTPUT);
    };
    let ready = false;
    child.once('exit', (code, signal) => {
      if (ready && !proc.stopping) console.error(`[chaos] ${name} died on its own (${code ?? signal}); its last output:\n${proc.output.slice(-4000)}`);
    });
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        keep(`${line}\n`);
        if (!line.includes('orders_reserve batch')) continue;
        const entry = JSON.parse(line) as { pid: number; orderIds: string[] };
        this.reserveBatches.push({ pid: entry.pid, worker: name, orderIds: entry.orderIds });
      }
    });
    child.stderr!.on('data', (d: Buffer) => keep(d.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not ready after 60 s:\n${proc.output}`)), 60_000);
      const onData = () => {
        if (!/ordersys (api|worker) started/.test(proc.output)) return;
        ready = true;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!/ordersys (api|worker) started/.test(proc.output)) reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${proc.output}`));
      });
    });
  }

  async stop(name: string, signal: NodeJS.Signals): Promise<void> {
    const proc = this.procs.get(name);
    if (!proc || !isRunning(proc.child)) return;
    const exited = new Promise((r) => proc.child.once('exit', r));
    proc.stopping = true;
    proc.child.kill(signal);
    await exited;
  }

  stopAll(): Promise<void> {
    return Promise.all([...this.procs.keys()].map((n) => this.stop(n, 'SIGTERM'))).then(() => undefined);
  }

  /** Names of the processes still running. */
  running(): string[] {
    return [...this.procs.values()].filter((p) => isRunning(p.child)).map((p) => p.name);
  }

  printOutputs(): void {
    for (const p of this.procs.values()) {
      console.error(`--- ${p.name} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'}) output (tail) ---\n${p.output.slice(-4000)}`);
    }
  }
}

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
