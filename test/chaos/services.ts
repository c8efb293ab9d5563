import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/*
 * The servers a chaos run owns, so its faults disturb nothing else on the machine: a private
 * PostgreSQL cluster (restarted mid-run), a private Redis (killed mid-run) and an SMTP server
 * that refuses everyone.
 */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** An SMTP server that refuses every session: notifications must retry, never block orders. */
export async function refusingSmtp(): Promise<{ port: number; close(): void }> {
  const server = createServer((socket) => {
    socket.on('error', () => {}); // a client SIGKILLed mid-session resets the connection
    socket.end('554 5.3.2 chaos: service refused\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

/** initdb and pg_ctl: on PATH, else the newest Debian install under /usr/lib/postgresql. */
export function postgresBinDir(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb']).stdout?.toString().trim();
  if (onPath) return path.dirname(onPath);
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

export interface PrivatePostgres {
  /** Superuser URL of the cluster's postgres database (trust auth on 127.0.0.1). */
  url: string;
  /** Stops the server the hard way (no checkpoint: like a crash), waits downMs, starts it again. */
  crashRestart(downMs: number): Promise<void>;
  stop(): void;
}

/**
 * A throw-away cluster in a temporary directory on a free port. PostgreSQL refuses to run as
 * root, so as root the cluster belongs to the postgres user. fsync is off: the restart is a
 * server crash, not a machine crash, and the WAL in the page cache survives it.
 */
export async function startPrivatePostgres(bin: string): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-chaos-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const pw = spawnSync('id', ['-u', 'postgres']).stdout?.toString().trim();
    const gid = spawnSync('id', ['-g', 'postgres']).stdout?.toString().trim();
    if (!pw) throw new Error('running as root, and there is no postgres user to own a private cluster');
    chownSync(dir, Number(pw), Number(gid));
    chmodSync(dir, 0o700);
  }
  const run = (tool: string, args: string[]) => {
    const cmd = asRoot ? 'runuser' : path.join(bin, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args;
    const res = spawnSync(cmd, argv, { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const opts = [
    `-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off', '-c full_page_writes=off',
    '-c max_connections=200', '-c shared_buffers=128MB',
    // A backend whose client was SIGKILLed notices within a second even while it waits on a lock.
    '-c client_connection_check_interval=1000',
  ].join(' ');
  const start = () => run('pg_ctl', ['-D', data, '-o', opts, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  start();
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async crashRestart(downMs) {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      await sleep(downMs);
      start();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already down
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

export function redisCli(port: number, ...args: string[]): string {
  return spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout ?? '';
}
