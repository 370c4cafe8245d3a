// A value kept in Secret Manager, readable only by the given service accounts. Cloud Run mounts it as an
// environment variable, so it never appears in the service's configuration, in logs or in the stack outputs.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { childOptions } from './options.js';

export interface SecretArgs {
  project: string;
  /** Secret Manager ID, unique in the project (per stack). */
  secretId: string;
  /** The value; stored as a Pulumi secret as well. */
  value: pulumi.Input<string>;
  /** Members (`serviceAccount:...`) granted roles/secretmanager.secretAccessor on this secret alone. */
  accessors: pulumi.Input<string>[];
  labels: Record<string, string>;
}

export const SECRET_ACCESSOR_ROLE = 'roles/secretmanager.secretAccessor';

export class Secret extends pulumi.ComponentResource {
  readonly secret: gcp.secretmanager.Secret;
  /** The secret's ID, for a secretKeyRef. */
  readonly secretId: pulumi.Output<string>;
  /** The version holding the current value: pinning it makes a new value roll out a new revision. */
  readonly version: pulumi.Output<string>;
  /** The accessor grants: a service reading the secret must wait for them. */
  readonly grants: gcp.secretmanager.SecretIamMember[];

  constructor(name: string, args: SecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:Secret', name, {}, opts);
    const child = childOptions(this, opts);
    this.secret = new gcp.secretmanager.Secret(
      `${name}-secret`,
      {
        project: args.project,
        secretId: args.secretId,
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
    this.grants = args.accessors.map(
      (member, i) =>
        new gcp.secretmanager.SecretIamMember(
          `${name}-accessor-${i}`,
          { project: args.project, secretId: this.secret.secretId, role: SECRET_ACCESSOR_ROLE, member },
          child,
        ),
    );
    this.registerOutputs({ secretId: this.secretId, version: this.version });
  }
}
