/**
 * The one registry of job names and payloads. Each module adds its jobs by declaration merging:
 *
 *   declare module '../../platform/queue/registry.js' {
 *     interface JobRegistry { imports_process: { importId: string } }
 *   }
 *
 * and describes the queue (retries, expiry) with defineQueue() next to its handler.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JobRegistry {}

export type JobName = keyof JobRegistry & string;

export interface QueueDefinition {
  name: JobName;
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  expireInSeconds?: number;
  /** 'singleton' keeps one active job at a time; 'stately' one queued and one active. */
  policy?: 'standard' | 'short' | 'singleton' | 'stately';
}

const definitions = new Map<string, QueueDefinition>();

export function defineQueue(def: QueueDefinition): QueueDefinition {
  definitions.set(def.name, def);
  return def;
}

export function queueDefinitions(): QueueDefinition[] {
  return [...definitions.values()];
}
