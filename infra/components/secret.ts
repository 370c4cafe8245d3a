// A value kept in Secret Manager, readable only by the runtime service account that needs it; the one place
// where this program stores a secret, for both shapes (the basic-auth credentials). Cloud Run mounts it as an
// environment variable; the VM reads it with its own identity and derives the bcrypt hash itself. Either way
// it never appears in a service's configuration, the instance metadata, logs or the stack outputs.
//
// The value is a SecretVersion, whose secretData is force-new: a changed value is a new version (the old one
// is deleted), an unchanged one keeps its version. Consumers pin the version (Cloud Run) or its name (the VM
// metadata), so only a changed value rolls the deployment.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { childOptions } from './options.js';

export interface SecretArgs {
  project: string;
  /** Secret Manager ID, unique in the project (per stack). Omitted: Pulumi names it, with a random suffix. */
  secretId?: string;
  /** The value; stored as a Pulumi secret as well. */
  value: pulumi.Input<string>;
  /** Members (`serviceAccount:...`) granted SECRET_ACCESSOR_ROLE on this secret alone. A reader made after
   * the secret (the VM's own account) is granted by its component with `secretAccessor`. */
  accessors?: pulumi.Input<string>[];
  labels: Record<string, string>;
}

/** The role a secret's reader gets, on that secret alone, and nobody else through this program. */
export const SECRET_ACCESSOR_ROLE = 'roles/secretmanager.secretAccessor';

export interface SecretAccessorArgs {
  project: string;
  /** The secret's ID (or its `projects/.../secrets/...` name). */
  secretId: pulumi.Input<string>;
  /** The runtime service account, `serviceAccount:...`. */
  member: pulumi.Input<string>;
}

/** Lets one member read one secret (and nothing else). */
export const secretAccessor = (
  name: string,
  args: SecretAccessorArgs,
  opts: pulumi.CustomResourceOptions,
): gcp.secretmanager.SecretIamMember =>
  new gcp.secretmanager.SecretIamMember(name, { ...args, role: SECRET_ACCESSOR_ROLE }, opts);

export class Secret extends pulumi.ComponentResource {
  readonly secret: gcp.secretmanager.Secret;
  /** The secret's ID, for a secretKeyRef. */
  readonly secretId: pulumi.Output<string>;
  /** The version number holding the current value: pinning it makes a new value roll out a new revision. */
  readonly version: pulumi.Output<string>;
  /** `projects/<number>/secrets/<id>/versions/<n>`: what the VM reads (`:access`). */
  readonly versionName: pulumi.Output<string>;
  /** The accessor grants: a service reading the secret must wait for them. */
  readonly grants: gcp.secretmanager.SecretIamMember[];

  constructor(name: string, args: SecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:Secret', name, {}, opts);
    const child = childOptions(this, opts);
    this.secret = new gcp.secretmanager.Secret(
      `${name}-secret`,
      {
        project: args.project,
        ...(args.secretId && { secretId: args.secretId }),
        replication: { auto: {} },
        labels: args.labels,
        deletionProtection: false,
      },
      child,
    );
    const version = new gcp.secretmanager.SecretVersion(
      `${name}-version`,
      { secret: this.secret.id, secretData: pulumi.secret(args.value) },
      child,
    );
    this.secretId = this.secret.secretId;
    this.version = version.version;
    this.versionName = version.name;
    this.grants = (args.accessors ?? []).map((member, i) =>
      secretAccessor(
        `${name}-accessor-${i}`,
        { project: args.project, secretId: this.secretId, member },
        child,
      ),
    );
    this.registerOutputs({ secretId: this.secretId, version: this.version, versionName: this.versionName });
  }
}
