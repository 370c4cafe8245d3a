// What every shape needs besides the config: the stack's name and the build it deploys. main() gathers it (the
// only file and git I/O of the program), so shapes stay pure functions of their inputs and testable under mocks.
import { createHash } from 'node:crypto';
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { BuildInfo } from '../build-info.js';
import { RegistryImages } from '../components/registry-images.js';

export interface StackContext {
  /** Pulumi stack name; names the per-stack GCP resources so several stacks can share a project. */
  stack: string;
  /** Repository root: the Docker build context and where the readiness script runs. */
  repoRoot: string;
  /** The app's package.json version: the image tag and the first part of APP_VERSION. */
  packageVersion: string;
  /** Each image's content revision and the checkout's remote, for the images' OCI labels. */
  build: BuildInfo;
}

/** Lowercase letters, digits and hyphens, starting with a letter: safe in GCP IDs, tags and labels. */
export function slug(stack: string, max: number): string {
  const s = stack
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, max)
    .replace(/-+$/, '');
  return s || 'stack';
}

/** Labels on every labelled resource: find (and bill) a stack's resources with `labels.stack=<slug>`. */
export const stackLabels = (stack: string) => ({
  app: 'modelship',
  stack: slug(stack, 20),
  'managed-by': 'pulumi',
});

/**
 * The version the API reports (APP_VERSION): the app's package version plus a digest of what was deployed,
 * so the readiness check can tell the new deployment from the one it replaces.
 */
export function deployVersion(packageVersion: string, parts: readonly unknown[]): string {
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 12);
  return `${packageVersion}+${digest}`;
}

/**
 * Options for a shape's direct children. The resources were top-level before shapes became components; the
 * alias keeps their URNs, so `pulumi up` on an existing stack updates them in place instead of replacing.
 */
export const shapeChild = (
  parent: pulumi.Resource,
  dependsOn: pulumi.Resource[] = [],
): pulumi.ComponentResourceOptions => ({
  parent,
  dependsOn,
  aliases: [{ parent: pulumi.rootStackResource }],
});

/**
 * Enables the Google APIs a shape uses. They stay enabled on destroy: other things in the project may rely on
 * them, and an enabled API costs nothing. Everything else in the shape depends on them.
 */
export function enableServices(
  parent: pulumi.Resource,
  project: string,
  services: readonly string[],
): gcp.projects.Service[] {
  return services.map(
    (service) =>
      new gcp.projects.Service(
        `modelship-${service.split('.')[0]}`,
        { project, service, disableOnDestroy: false },
        shapeChild(parent),
      ),
  );
}

/** The shape's Artifact Registry repository and both images, built from this checkout and tagged with its version. */
export function shapeImages(
  ctx: StackContext,
  settings: { project: string; region: string; registryKeepVersions: number; gpu: boolean },
  opts: pulumi.ComponentResourceOptions,
): RegistryImages {
  const { packageVersion, build } = ctx;
  return new RegistryImages(
    'modelship-images',
    {
      project: settings.project,
      region: settings.region,
      repositoryId: `modelship-${slug(ctx.stack, 20)}`,
      keepVersions: settings.registryKeepVersions,
      gpu: settings.gpu,
      tag: packageVersion,
      buildArgs: { VERSION: packageVersion, SOURCE: build.source },
      revisions: build.revisions,
      labels: stackLabels(ctx.stack),
    },
    opts,
  );
}

/** What every shape starts from: its names and labels, its Google APIs enabled, its images built. */
export interface ShapeBase {
  /** The prefix of the shape's resource names. */
  name: string;
  /** The stack name as it goes into GCP IDs (20 characters at most). */
  stackSlug: string;
  labels: Record<string, string>;
  services: gcp.projects.Service[];
  /** Options of a direct child of the shape that uses the APIs. */
  afterServices: pulumi.ComponentResourceOptions;
  images: RegistryImages;
  /** A service account ID for `role` (GCP allows 6-30 characters): `ms-<stack>-<role>`, 29 at most. */
  accountId: (role: string) => string;
}

export function shapeBase(
  shape: pulumi.Resource,
  ctx: StackContext,
  config: { project: string; region: string; registryKeepVersions: number; gpu?: unknown },
  serviceNames: readonly string[],
): ShapeBase {
  const services = enableServices(shape, config.project, serviceNames);
  const afterServices = shapeChild(shape, services);
  return {
    name: 'modelship',
    stackSlug: slug(ctx.stack, 20),
    labels: stackLabels(ctx.stack),
    services,
    afterServices,
    images: shapeImages(ctx, { ...config, gpu: config.gpu !== undefined }, afterServices),
    accountId: (role) => `ms-${slug(ctx.stack, 25 - role.length)}-${role}`,
  };
}

/** The stack outputs every shape has. */
export interface ShapeOutputs {
  /** The HTTPS URL to share. */
  url: pulumi.Output<string>;
  apiDocsUrl: pulumi.Output<string>;
  /** The deployed images, by digest. */
  apiImage: pulumi.Output<string>;
  uiImage: pulumi.Output<string>;
  /** What the deployment costs, in one line (infra/pricing.ts). */
  hourlyCostEstimate: string;
  /** The Cloud Monitoring dashboard of this deployment (infra/stacks/operate.ts). */
  dashboardUrl: pulumi.Output<string>;
  /** The Logs Explorer, filtered to this deployment's logs. */
  logsUrl: pulumi.Output<string>;
}

/** What a shape is built from: the validated config of its kind and the stack context. */
export interface ShapeArgs<C> {
  config: C;
  context: StackContext;
}

/**
 * A deployment shape: a component that parents the shape's resources and carries the stack's outputs. The
 * subclass names its type and passes the function that declares its resources.
 */
export abstract class Shape<C, O extends ShapeOutputs> extends pulumi.ComponentResource {
  /** The stack outputs of this shape (`pulumi stack output`). */
  readonly outputs: O;

  constructor(
    type: string,
    name: string,
    args: ShapeArgs<C>,
    declare: (shape: pulumi.Resource, config: C, ctx: StackContext) => O,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(type, name, {}, opts);
    this.outputs = declare(this, args.config, args.context);
    this.registerOutputs(this.outputs);
  }
}
