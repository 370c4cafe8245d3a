// Pulumi entry point (Pulumi.yaml `main`): read and validate the stack's config, gather what the build needs
// (the only file and git reads of the program), build the configured shape, and export its outputs
// (`pulumi stack output`).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { buildInfo, packageVersion } from './build-info.js';
import { registryCredentialProblem, registryHost } from './components/registry-images.js';
import { loadConfig } from './config.js';
import { CloudRun, type CloudRunOutputs } from './stacks/cloud-run.js';
import type { StackContext } from './stacks/context.js';
import { SingleVm, type SingleVmOutputs } from './stacks/single-vm.js';

export type StackOutputs = SingleVmOutputs | CloudRunOutputs;

export default function main(): StackOutputs {
  const config = loadConfig();
  // The image pushes use the host's Docker credentials: say before the build, not after it, if they are missing.
  const dockerConfig = join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  const problem = registryCredentialProblem(
    existsSync(dockerConfig) ? JSON.parse(readFileSync(dockerConfig, 'utf8')) : undefined,
    registryHost(config.region),
  );
  if (problem) pulumi.log.warn(problem);
  const repoRoot = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '');
  const context: StackContext = {
    stack: pulumi.getStack(),
    repoRoot,
    packageVersion: packageVersion(repoRoot),
    build: buildInfo(repoRoot),
  };
  switch (config.shape) {
    case 'single-vm':
      return new SingleVm('modelship', { config, context }).outputs;
    case 'cloud-run':
      return new CloudRun('modelship', { config, context }).outputs;
  }
}
