// Pulumi entry point (Pulumi.yaml `main`): read and validate the stack's config, build the configured shape,
// and export its outputs (`pulumi stack output`).
import { loadConfig, type Shape } from './config.js';
import { deploySingleVm, type SingleVmOutputs } from './stacks/single-vm.js';

const shapes: Record<Shape, (config: ReturnType<typeof loadConfig>) => SingleVmOutputs> = {
  'single-vm': (config) => deploySingleVm(config),
};

export default function main(): SingleVmOutputs {
  const config = loadConfig();
  return shapes[config.shape](config);
}
