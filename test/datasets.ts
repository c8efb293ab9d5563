import { existsSync } from 'node:fs';
import path from 'node:path';

/** The shared real-world data sets: `shared/` stands beside the repository (here and in CI). */
export const DATASETS = [path.resolve('../shared/datasets'), '/work/shared/datasets'].find((d) => existsSync(d)) ?? path.resolve('../shared/datasets');
