// Pulumi mocks for the program tests: every registered resource is recorded with its resolved inputs, and the
// few outputs the cloud would compute (IP, image digests, e-mails, names) get realistic values.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { MockMonitor } from '@pulumi/pulumi/runtime/mocks.js';
import { parseConfig, type RawConfig } from '../config.js';
import { CloudRun } from '../stacks/cloud-run.js';
import type { StackContext } from '../stacks/context.js';
import { SingleVm } from '../stacks/single-vm.js';

export const MOCK_IP = '34.1.2.3';
export const MOCK_TOKEN = 'ya29.mock-access-token';
export const MOCK_ZONE_DNS_NAME = 'example.com.';
export const MOCK_INSTANCE_ID = '4870213549321675112';
export const MOCK_LB_IP = '34.120.0.1';
/** Cloud Run's URL for a service: https://<name>-<project hash>.<region code>.run.app */
export const runAppUrl = (service: string) => `https://${service}-abc123xyz-uc.a.run.app`;
export const MOCK_PROJECT_NUMBER = '123456789012';

// biome-ignore lint/suspicious/noExplicitAny: mocked inputs are untyped JSON; tests read them by property
export type Inputs = Record<string, any>;

export interface Recorded {
  type: string;
  name: string;
  /** Inputs with secrets unwrapped to their values. */
  inputs: Inputs;
  /** Dotted paths of the inputs that arrived as secrets, e.g. `registry.password`. */
  secretPaths: string[];
  /** The resource options the engine acts on at replacement time. */
  options: ReplacementOptions;
}

export interface ReplacementOptions {
  deleteBeforeReplace: boolean;
  replaceOnChanges: string[];
  ignoreChanges: string[];
}

// setMocks' newResource never sees resource options: read them from the register request on the way in.
interface RegisterRequest {
  getName(): string;
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
  getIgnorechangesList(): string[];
}
const optionsByName = new Map<string, ReplacementOptions>();
const monitor = MockMonitor.prototype as unknown as {
  registerResource(req: RegisterRequest, callback: unknown): Promise<void>;
  recordsOptions?: boolean;
};
if (!monitor.recordsOptions) {
  const register = monitor.registerResource;
  monitor.registerResource = function (this: unknown, req, callback) {
    optionsByName.set(req.getName(), {
      deleteBeforeReplace: req.getDeletebeforereplace(),
      replaceOnChanges: req.getReplaceonchangesList(),
      ignoreChanges: req.getIgnorechangesList(),
    });
    return register.call(this, req, callback);
  };
  monitor.recordsOptions = true;
}

// The wire form of a secret in mocked inputs: { [SIG_KEY]: SECRET_SIG, value }.
const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

function unwrapSecrets(value: unknown, path: string, secretPaths: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, secretPaths));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) {
      secretPaths.push(path);
      return unwrapSecrets(obj.value, path, []);
    }
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, secretPaths)]),
    );
  }
  return value;
}

const digestOf = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/** Installs fresh mocks; returns the list resources are recorded into and the invoke calls made. */
export async function installMocks(stack = 'dev') {
  const resources: Recorded[] = [];
  const calls: { token: string; inputs: Record<string, unknown> }[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const secretPaths: string[] = [];
        const inputs = unwrapSecrets(args.inputs, '', secretPaths) as Inputs;
        const options = optionsByName.get(args.name) ?? {
          deleteBeforeReplace: false,
          replaceOnChanges: [],
          ignoreChanges: [],
        };
        resources.push({ type: args.type, name: args.name, inputs, secretPaths, options });
        const state: Record<string, unknown> = { ...args.inputs };
        switch (args.type) {
          case 'gcp:compute/address:Address':
            state.address = MOCK_IP;
            break;
          case 'docker:index/image:Image': {
            const imageName = String(inputs.imageName);
            state.repoDigest = `${imageName.replace(/:[^:/]+$/, '')}@${digestOf(imageName + JSON.stringify(inputs.build))}`;
            break;
          }
          case 'gcp:serviceaccount/account:Account':
            state.email = `${args.inputs.accountId}@${args.inputs.project}.iam.gserviceaccount.com`;
            break;
          case 'gcp:artifactregistry/repository:Repository':
            state.name = args.inputs.repositoryId;
            break;
          case 'gcp:compute/instance:Instance':
            state.name = `${args.name}-a1b2c3d`;
            state.instanceId = MOCK_INSTANCE_ID;
            break;
          case 'gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig':
            state.uptimeCheckId = `${args.name}-check-id`;
            break;
          case 'gcp:compute/globalAddress:GlobalAddress':
            state.address = MOCK_LB_IP;
            break;
          case 'gcp:cloudrunv2/service:Service':
            state.uri = runAppUrl(String(args.inputs.name));
            break;
          case 'gcp:secretmanager/secretVersion:SecretVersion':
            state.version = '1';
            state.name = `projects/123456789/secrets/${args.inputs.secret}/versions/1`;
            break;
          case 'gcp:compute/subnetwork:Subnetwork':
          case 'gcp:compute/network:Network':
            state.selfLink = `https://www.googleapis.com/compute/v1/${args.name}`;
            break;
        }
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        calls.push({ token: args.token, inputs: args.inputs });
        if (args.token === 'gcp:organizations/getClientConfig:getClientConfig') {
          return { accessToken: MOCK_TOKEN, project: 'p', region: 'r', zone: 'z', id: 'x' };
        }
        if (args.token === 'gcp:organizations/getProject:getProject') {
          return { projectId: args.inputs.projectId, number: MOCK_PROJECT_NUMBER, id: 'p' };
        }
        if (args.token === 'gcp:dns/getManagedZone:getManagedZone') {
          return { name: args.inputs.name, dnsName: MOCK_ZONE_DNS_NAME, id: 'zone', managedZoneId: '1' };
        }
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    'modelship',
    stack,
    false,
  );
  return { resources, calls };
}

/** Lookups over the recorded resources: all of a type, or the one of a type (asserting there is one). */
export function lookups(resources: Recorded[]) {
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const one = (type: string): Recorded => {
    const found = ofType(type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0] as Recorded;
  };
  return { ofType, one };
}

/** The stack context the shapes get in tests: this checkout, with a fixed version and build. */
export const TEST_CONTEXT: StackContext = {
  stack: 'dev',
  repoRoot: fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, ''),
  packageVersion: '1.2.3',
  build: {
    revisions: { api: `sha256:${'a'.repeat(64)}`, ui: `sha256:${'b'.repeat(64)}` },
    source: 'https://example.com/modelship.git',
  },
};

/** The value of an output (mocks resolve everything), secret or not. */
export function outputValue<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

export const isSecret = <T>(output: pulumi.Output<T>): Promise<boolean> => pulumi.isSecret(output);

/** Waits until every resource registration the program started has reached the (mock) engine. */
export async function settle(): Promise<void> {
  await pulumi.runtime.disconnect();
}

interface Shapes {
  'single-vm': SingleVm;
  'cloud-run': CloudRun;
}

/**
 * Runs one shape of the program under fresh mocks and waits for it: the shape the config must select, its
 * outputs resolved (`raw`: as the shape returned them, to check which are secret), what it registered.
 */
export async function deployShape<S extends keyof Shapes>(
  shape: S,
  raw: RawConfig,
  context: StackContext = TEST_CONTEXT,
) {
  const { resources, calls } = await installMocks(context.stack);
  const config = parseConfig(raw);
  if (config.shape !== shape) throw new Error(`expected a ${shape} config, got ${config.shape}`);
  const component =
    config.shape === 'single-vm'
      ? new SingleVm('modelship', { config, context })
      : new CloudRun('modelship', { config, context });
  const out = component.outputs as unknown as Shapes[S]['outputs'];
  const entries = await Promise.all(Object.entries(out).map(async ([k, v]) => [k, await outputValue(v)]));
  const outputs = Object.fromEntries(entries) as { [K in keyof typeof out]: pulumi.Unwrap<(typeof out)[K]> };
  await settle();
  return { resources, calls, config, outputs, raw: out, ...lookups(resources) };
}

/** `fn` run once per distinct arguments: each configuration deploys once, its tests read what it registered. */
export function memoize<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const results = new Map<string, R>();
  return (...args) => {
    const key = JSON.stringify(args);
    if (!results.has(key)) results.set(key, fn(...args));
    return results.get(key) as R;
  };
}
