import type { AppModule } from '../module.js';
import { registerImportJobs } from './import.jobs.js';
import { importRoutes } from './import.routes.js';

export const importsModule: AppModule = { name: 'imports', routes: importRoutes, jobs: registerImportJobs };
