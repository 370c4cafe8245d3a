// The Artifact Registry repository and the two images, built locally with Docker and pushed there. The VM
// runs the pushed digests (`repoDigest`), so a rebuild is a new, immutable reference and tags never matter.
//
// Pushes authenticate through the gcloud credential helper of the machine running `pulumi up` (one-time:
// `gcloud auth configure-docker <region>-docker.pkg.dev`). The Docker provider asks the host's Docker config
// for credentials inside each image's own build-and-push step (pulumi-docker provider/image.go,
// getRegistryAuth -> configfile.GetAuthConfig, which runs `docker-credential-gcloud`), so every push gets a
// token minted when it starts. A `registry.password` would be resolved once, before any build, and a long
// CUDA image push could outlive it (access tokens last an hour).
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
  /** Human-readable tag pushed alongside each digest (never `latest`). */
  tag: string;
  /** Build arguments of both images: VERSION and SOURCE become OCI labels. */
  buildArgs: Record<string, string>;
  /** Per image, the REVISION build argument (org.opencontainers.image.revision): a digest of its inputs. */
  revisions: Record<'api' | 'ui', string>;
  labels: Record<string, string>;
}

/** `<region>-docker.pkg.dev`: the registry host for `docker login` and image names. */
export const registryHost = (region: string) => `${region}-docker.pkg.dev`;

/**
 * Why pushes to `host` would not authenticate, given the parsed ~/.docker/config.json (undefined when it is
 * missing): the gcloud credential helper must be registered for the host. Undefined when it is.
 */
export function registryCredentialProblem(dockerConfig: unknown, host: string): string | undefined {
  const config = dockerConfig as
    | { credHelpers?: Record<string, string>; auths?: Record<string, unknown> }
    | undefined;
  if (config?.credHelpers?.[host] === 'gcloud') return undefined;
  const now = config?.auths?.[host]
    ? `Docker has only a stored \`docker login\` token for ${host}, which expires within the hour.`
    : `Docker has no credentials for ${host}, so pushing the images will be refused.`;
  return `${now} Run once: gcloud auth configure-docker ${host}`;
}

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

    // No username or password: the provider then takes the host's credentials for this server, per push.
    const registry = { server: this.registryHost };
    const imageBase = pulumi.interpolate`${this.registryHost}/${args.project}/${this.repository.repositoryId}`;

    const image = (component: 'api' | 'ui', target: string) =>
      new docker.Image(
        `${name}-${component}`,
        {
          imageName: pulumi.interpolate`${imageBase}/${component}:${args.tag}`,
          build: {
            // Relative to the program's working directory, the project root where Pulumi.yaml is (the
            // provider resolves them there), so that the same checkout at another path changes no input.
            context: '.',
            dockerfile: 'Dockerfile',
            // The VM is x86_64; students on ARM Macs would otherwise push arm64 images.
            platform: 'linux/amd64',
            args: { ...args.buildArgs, REVISION: args.revisions[component] },
            target,
          },
          registry,
        },
        childOptions(this, opts, { dependsOn: [this.repository] }),
      );

    const api = image('api', args.gpu ? 'api-gpu' : 'api');
    const ui = image('ui', 'ui');
    this.apiImage = api.repoDigest;
    this.uiImage = ui.repoDigest;

    this.registerOutputs({
      repository: this.repository.id,
      apiImage: this.apiImage,
      uiImage: this.uiImage,
    });
  }
}
