// The bcrypt hash Caddy checks basic auth against. bcrypt salts are normally random, which would change the
// VM metadata (and roll the deployment) on every `pulumi up`; here the salt is derived from the password and
// a per-stack seed instead, so the hash only changes when the credentials do.
import { createHmac } from 'node:crypto';
import bcrypt from 'bcryptjs';

export const BCRYPT_COST = 12;

/** `$2b$12$...` for `password`, stable for the same (password, seed). */
export function bcryptHash(password: string, seed: string): string {
  const saltBytes = createHmac('sha256', `modelship-basic-auth:${seed}`)
    .update(password)
    .digest()
    .subarray(0, 16);
  const salt = `$2b$${BCRYPT_COST}$${bcrypt.encodeBase64(saltBytes, 16)}`;
  return bcrypt.hashSync(password, salt);
}
