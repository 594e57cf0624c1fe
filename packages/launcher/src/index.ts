export { launchTeam, REPO_ROOT, SCRIPTS, type LaunchOptions, type Team, type Ports } from './launch.js';
export { freePort } from './ports.js';
export { startProcess, type Managed } from './process.js';
