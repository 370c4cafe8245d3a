// The Artifact Registry repository and the two images, built locally with Docker and pushed there. The VM
// runs the pushed digests (`repoDigest`), so a rebuild is a new, immutable reference and tags never matter.
import * as docker from '@pulumi/docker';
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { childOptions } from './options.js';

export interface RegistryImagesArgs {
  project: string;
  region: string;
  /** Artifact Registry repository ID (per stack, so two stacks can share a project). */
  repositoryId: string;
  /** Image versions kept by the cleanup policy; older ones are deleted. */
  keepVersions: number;
  /** Build the API's CUDA (`gpu`) target instead of the CPU one. */
  gpu: boolean;
  /** Absolute path of the repository root: the build context of both images. */
  repoRoot: string;
  /** Human-readable tag pushed alongside each digest (never `latest`). */
  tag: string;
  /** Build arguments of both Dockerfiles: VERSION, REVISION and SOURCE become the images' OCI labels. */
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
}

/** `<region>-docker.pkg.dev`: the registry host for `docker login` and image names. */
export const registryHost = (region: string) => `${region}-docker.pkg.dev`;

export class RegistryImages extends pulumi.ComponentResource {
  readonly repository: gcp.artifactregistry.Repository;
  readonly registryHost: string;
  /** Immutable refs, `<host>/<project>/<repo>/api@sha256:...`. */
  readonly apiImage: pulumi.Output<string>;
  readonly uiImage: pulumi.Output<string>;

  constructor(name: string, args: RegistryImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:RegistryImages', name, {}, opts);
    this.registryHost = registryHost(args.region);

    this.repository = new gcp.artifactregistry.Repository(
      `${name}-repo`,
      {
        project: args.project,
        location: args.region,
        repositoryId: args.repositoryId,
        format: 'DOCKER',
        description: 'modelship images (API and UI), pushed by pulumi up',
        labels: args.labels,
        cleanupPolicyDryRun: false,
        // Keep wins over delete: everything is deletable once a day old, except the newest N versions.
        cleanupPolicies: [
          { id: 'keep-recent', action: 'KEEP', mostRecentVersions: { keepCount: args.keepVersions } },
          { id: 'delete-old', action: 'DELETE', condition: { tagState: 'ANY', olderThan: '86400s' } },
        ],
      },
      childOptions(this, opts),
    );

    // A short-lived OAuth token of the credentials Pulumi runs with (gcloud auth application-default login).
    const token = gcp.organizations.getClientConfigOutput({ parent: this }).accessToken;
    const registry = {
      server: this.registryHost,
      username: 'oauth2accesstoken',
      password: pulumi.secret(token),
    };
    const imageBase = pulumi.interpolate`${this.registryHost}/${args.project}/${this.repository.repositoryId}`;

    const image = (component: 'api' | 'ui', target?: string) =>
      new docker.Image(
        `${name}-${component}`,
        {
          imageName: pulumi.interpolate`${imageBase}/${component}:${args.tag}`,
          build: {
            context: args.repoRoot,
            dockerfile: `${args.repoRoot}/app/${component}/Dockerfile`,
            // The VM is x86_64; students on ARM Macs would otherwise push arm64 images.
            platform: 'linux/amd64',
            args: args.buildArgs,
            ...(target && { target }),
          },
          registry,
        },
        childOptions(this, opts, { dependsOn: [this.repository] }),
      );

    const api = image('api', args.gpu ? 'gpu' : undefined);
    const ui = image('ui');
    this.apiImage = api.repoDigest;
    this.uiImage = ui.repoDigest;

    this.registerOutputs({
      repository: this.repository.id,
      apiImage: this.apiImage,
      uiImage: this.uiImage,
    });
  }
}
