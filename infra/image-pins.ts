// The base images pinned by digest, and the one place where each pin's default is written: a
// `${NAME:-image:tag@sha256:...}` reference, in the Dockerfile's FROM lines (NODE_IMAGE, CUDA_IMAGE) and in
// docker-compose.caddy.yml (CADDY_IMAGE). Setting the variable replaces the pin (a mirror, an offline
// stand-in); `npm run images:bump` (scripts/images-bump.ts) moves each pin to its tag's current digest.

/** The files that hold pins, relative to the repository root. */
export const PIN_FILES = ['Dockerfile', 'docker-compose.caddy.yml'] as const;

export interface ImagePin {
  /** The variable that overrides the pin, e.g. NODE_IMAGE. */
  variable: string;
  /** The reference without its digest, e.g. `node:22-bookworm-slim`: what the pin follows. */
  image: string;
  digest: string;
}

const PIN = /\$\{([A-Z][A-Z0-9_]*_IMAGE):-([^@}\s]+)@(sha256:[0-9a-f]{64})\}/g;

/** Every pin written in `text`. */
export function readPins(text: string): ImagePin[] {
  return [...text.matchAll(PIN)].map(([, variable = '', image = '', digest = '']) => ({
    variable,
    image,
    digest,
  }));
}

/** `text` with each pin whose variable is in `digests` moved to that digest. */
export function rewritePins(text: string, digests: ReadonlyMap<string, string>): string {
  return text.replace(PIN, (whole, variable: string, image: string) => {
    const digest = digests.get(variable);
    return digest ? `\${${variable}:-${image}@${digest}}` : whole;
  });
}

export interface ImageName {
  /** Registry host (docker.io for Docker Hub), with its port if any. */
  registry: string;
  /** Repository path in the registry (`library/node` for Docker Hub's official images). */
  repository: string;
  tag: string;
}

/** Splits a `[registry/]repository:tag` reference the way Docker normalises it. */
export function parseImageName(image: string): ImageName {
  const colon = image.lastIndexOf(':');
  if (colon <= image.lastIndexOf('/')) throw new Error(`${image}: a pinned image needs a tag`);
  const name = image.slice(0, colon);
  const tag = image.slice(colon + 1);
  const [first = '', ...rest] = name.split('/');
  // The first component is a registry host when it looks like one (a dot, a port, or localhost).
  if (rest.length > 0 && (/[.:]/.test(first) || first === 'localhost')) {
    return { registry: first, repository: rest.join('/'), tag };
  }
  return { registry: 'docker.io', repository: rest.length > 0 ? name : `library/${name}`, tag };
}
