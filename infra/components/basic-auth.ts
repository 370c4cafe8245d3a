// The basic-auth password in Secret Manager. Only the VM's service account may read it (granted by the Vm
// component); the VM derives Caddy's bcrypt hash from it itself, with a random salt, so neither the
// password nor any hash of it is in the instance metadata, which every project viewer and every process on
// the VM can read. The metadata carries the secret version's name: a new password is a new version, so only
// a changed password rolls the deployment.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { childOptions } from './options.js';

export interface BasicAuthSecretArgs {
  project: string;
  /** The password (the user name is not secret and goes into the metadata as it is). */
  password: pulumi.Input<string>;
  labels: Record<string, string>;
}

/** The role the VM's service account gets on the secret, and nobody else through this program. */
export const SECRET_READER_ROLE = 'roles/secretmanager.secretAccessor';

export class BasicAuthSecret extends pulumi.ComponentResource {
  readonly secret: gcp.secretmanager.Secret;
  /** `projects/<number>/secrets/<id>/versions/<n>`: what the VM reads (`:access`). */
  readonly versionName: pulumi.Output<string>;

  constructor(name: string, args: BasicAuthSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:BasicAuthSecret', name, {}, opts);
    this.secret = new gcp.secretmanager.Secret(
      `${name}-secret`,
      { project: args.project, replication: { auto: {} }, labels: args.labels },
      childOptions(this, opts),
    );
    // secretData is force-new: a changed password is a new version (and the old one is deleted).
    const version = new gcp.secretmanager.SecretVersion(
      `${name}-version`,
      { secret: this.secret.id, secretData: pulumi.secret(args.password) },
      childOptions(this, opts),
    );
    this.versionName = version.name;
    this.registerOutputs({ secret: this.secret.id, versionName: this.versionName });
  }
}
