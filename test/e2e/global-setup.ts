import { ensureRendererBuilt } from '../../src/main/server/renderer-build.js';

/** Once per e2e run: the page under test is the real build of src/renderer, rebuilt when stale. */
export default async function setup(): Promise<void> {
  await ensureRendererBuilt({ onBuild: (reason) => process.stdout.write(`[e2e] building the renderer: ${reason}\n`) });
}
