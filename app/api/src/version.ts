import { readFileSync } from 'node:fs';

/** The API's version: APP_VERSION when set (rollout tests tell images apart by it), else package.json's. */
export function appVersion(override?: string): string {
  if (override) return override;
  // src/version.ts and dist/version.js both sit one level below app/api/package.json.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
