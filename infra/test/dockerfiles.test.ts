// The Dockerfiles, compose files and Caddyfile, checked without a Docker engine: the properties the VM and
// the images rely on (default target, GPU target, non-root user, health checks, compose wiring). The
// engine suite (test/docker) proves that they build and run.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` here is Dockerfile and compose syntax, compared as text
import { existsSync, readFileSync } from 'node:fs';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Stage {
  name: string;
  /** The FROM argument before `AS`, e.g. `${NODE_IMAGE}` or `manifests`. */
  base: string;
  instructions: Instruction[];
}

interface ParsedDockerfile {
  /** Global ARGs (before the first FROM) and their defaults. */
  args: Map<string, string | null>;
  stages: Stage[];
}

function parseDockerfile(path: string): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(read(path));
  const args = new Map(
    dockerfile
      .getInitialARGs()
      .map((arg) => [arg.getProperty()?.getName() ?? '', arg.getProperty()?.getValue() ?? null]),
  );
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [base = '', , name] = instruction.getArguments().map((a) => a.getValue());
      stages.push({ name: name ?? String(stages.length), base, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

const stage = (file: ParsedDockerfile, name: string): Stage => {
  const found = file.stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
const keyword = (s: Stage, kw: string) => s.instructions.filter((i) => i.getKeyword() === kw);
/** An instruction as written after its keyword, flags included, continuation lines joined. */
const body = (i: Instruction) =>
  i.getTextContent().replace(/\\\n/g, ' ').replace(/\s+/g, ' ').replace(/^\S+ /, '').trim();
const text = (s: Stage, kw: string) => keyword(s, kw).map(body);
const flagValue = (i: Instruction, flag: string) =>
  'getFlags' in i && typeof i.getFlags === 'function'
    ? (i.getFlags() as { getName(): string; getValue(): string | null }[])
        .find((f) => f.getName() === flag)
        ?.getValue()
    : undefined;

/** Every stage a target needs: its FROM chain and the stages it copies from (what BuildKit builds). */
function stagesNeededBy(file: ParsedDockerfile, target: string): Set<string> {
  const names = new Set(file.stages.map((s) => s.name));
  const needed = new Set<string>();
  const visit = (name: string) => {
    if (needed.has(name)) return;
    needed.add(name);
    const s = stage(file, name);
    if (names.has(s.base)) visit(s.base);
    for (const copy of keyword(s, 'COPY')) {
      const from = flagValue(copy, 'from');
      if (from && names.has(from)) visit(from);
    }
  };
  visit(target);
  return needed;
}

/** The last stage is what `docker build` without --target produces. */
const defaultTarget = (file: ParsedDockerfile) => file.stages.at(-1) as Stage;

const healthcheckCommand = (s: Stage): string => {
  const checks = text(s, 'HEALTHCHECK');
  expect(checks, `HEALTHCHECK in stage ${s.name}`).toHaveLength(1);
  return checks[0] ?? '';
};

/** Instructions of a stage and of every stage it is built FROM. */
function lineage(file: ParsedDockerfile, name: string): Stage[] {
  const names = new Set(file.stages.map((s) => s.name));
  const chain: Stage[] = [];
  for (
    let s: Stage | undefined = stage(file, name);
    s;
    s = names.has(s.base) ? stage(file, s.base) : undefined
  ) {
    chain.push(s);
  }
  return chain;
}

describe('app/api/Dockerfile', () => {
  const file = parseDockerfile('app/api/Dockerfile');

  it('takes both base images as build arguments', () => {
    expect(file.args.get('NODE_IMAGE')).toBe('node:22-bookworm-slim');
    // onnxruntime-node 1.30's CUDA EP needs CUDA 12 and cuDNN 9: the cudnn runtime images carry cuDNN 9
    expect(file.args.get('CUDA_IMAGE')).toMatch(/^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu\d\d\.04$/);
    expect(stage(file, 'node').base).toBe('${NODE_IMAGE}');
    expect(stage(file, 'gpu').base).toBe('${CUDA_IMAGE}');
  });

  it('defaults to the CPU runtime, whose build never touches the CUDA stages', () => {
    const runtime = defaultTarget(file);
    expect(runtime.name).toBe('runtime');
    expect(lineage(file, 'runtime').at(-1)?.base).toBe('${NODE_IMAGE}');
    const needed = stagesNeededBy(file, 'runtime');
    expect(needed).not.toContain('gpu');
    expect(needed).not.toContain('gpu-deps');
    expect(needed).toContain('prod-deps');
    expect(needed).toContain('build');
  });

  it('installs with npm ci through a BuildKit cache, skipping the CUDA download on npm 10 too', () => {
    expect(text(stage(file, 'manifests'), 'COPY').join('\n')).toMatch(/\.npmrc/);
    expect(text(stage(file, 'manifests'), 'ENV').join('\n')).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
    for (const name of ['build', 'prod-deps']) {
      const [run] = keyword(stage(file, name), 'RUN');
      expect(run && flagValue(run, 'mount'), name).toBe('type=cache,target=/root/.npm');
      expect(run?.getArgumentsContent(), name).toMatch(/^npm ci\b/);
    }
    expect(text(stage(file, 'build'), 'RUN').join('\n')).toMatch(/npm run build -w app\/api/);
  });

  it('keeps production dependencies of app/api only and prunes the other platforms of onnxruntime-node', () => {
    const [install] = text(stage(file, 'prod-deps'), 'RUN');
    expect(install).toMatch(/npm ci --omit=dev --workspace app\/api/);
    expect(install).toMatch(/onnxruntime-node\/bin\/napi-v6/);
    expect(install).toMatch(/TARGETARCH/);
    expect(install).toMatch(/rm -rf "\$\{ort:\?\}"\/\*/);
    expect(keyword(stage(file, 'prod-deps'), 'ARG').map((a) => a.getArgumentsContent())).toContain(
      'TARGETARCH',
    );
  });

  for (const name of ['runtime', 'gpu']) {
    describe(`stage ${name}`, () => {
      const s = stage(file, name);

      it('runs the server as the non-root node user under tini, with the models baked in', () => {
        expect(text(s, 'USER')).toEqual(['node']);
        expect(text(s, 'ENTRYPOINT')).toEqual(['["/usr/bin/tini", "--"]']);
        expect(text(s, 'CMD').join()).toMatch(/"app\/api\/dist\/server\.js"/);
        expect(text(s, 'EXPOSE')).toEqual(['8000']);
        expect(text(s, 'COPY')).toContain('models ./models');
        // the server's dist/ resolves ../../../models and ../package.json: the repository layout
        expect(text(s, 'COPY')).toContain('--from=build /src/app/api/dist ./app/api/dist');
        expect(text(s, 'ENV').join(' ')).toMatch(/NODE_ENV=production/);
      });

      it('checks /ready with node itself (no curl in the image)', () => {
        const check = healthcheckCommand(s);
        expect(check).toMatch(
          /^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+ CMD \["node", "-e"/,
        );
        expect(check).toContain("fetch('http://127.0.0.1:8000/ready')");
      });

      it('carries the OCI source, version and revision labels', () => {
        const labels = text(s, 'LABEL').join(' ');
        for (const key of ['source=$SOURCE', 'version=$VERSION', 'revision=$REVISION']) {
          expect(labels).toContain(`org.opencontainers.image.${key}`);
        }
      });
    });
  }

  it('gpu: Node 22 from the node image, onnxruntime-node with its cuda12 opt-in, ORT_PROVIDERS=cuda,cpu', () => {
    const gpu = stage(file, 'gpu');
    expect(text(gpu, 'COPY')).toContain('--from=node /usr/local/bin/node /usr/local/bin/node');
    expect(text(gpu, 'COPY')).toContain('--from=gpu-deps /src/node_modules ./node_modules');
    expect(text(gpu, 'ENV').join(' ')).toMatch(/ORT_PROVIDERS=cuda,cpu/);
    expect(text(gpu, 'RUN').join('\n')).toMatch(/useradd --uid 1000 --gid node/);
    expect(stagesNeededBy(file, 'gpu')).toEqual(
      new Set(['gpu', 'node', 'tini', 'gpu-deps', 'prod-deps', 'manifests', 'build']),
    );
    const gpuDeps = stage(file, 'gpu-deps');
    expect(gpuDeps.base).toBe('prod-deps');
    expect(text(gpuDeps, 'RUN').join('\n')).toMatch(
      /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/,
    );
    expect(text(gpuDeps, 'RUN').join('\n')).toMatch(/libonnxruntime_providers_cuda\.so/);
  });
});

describe('app/ui/Dockerfile', () => {
  const file = parseDockerfile('app/ui/Dockerfile');
  const runtime = defaultTarget(file);

  it('builds on node:22-bookworm-slim and runs the UI server as node under tini', () => {
    expect(file.args.get('NODE_IMAGE')).toBe('node:22-bookworm-slim');
    expect(runtime.name).toBe('runtime');
    expect(lineage(file, 'runtime').at(-1)?.base).toBe('${NODE_IMAGE}');
    expect(text(runtime, 'USER')).toEqual(['node']);
    expect(text(runtime, 'EXPOSE')).toEqual(['8501']);
    expect(text(runtime, 'ENTRYPOINT')).toEqual(['["/usr/bin/tini", "--"]']);
    expect(text(runtime, 'CMD').join()).toMatch(/"app\/ui\/dist\/server\/server\.js"/);
    expect(healthcheckCommand(runtime)).toContain("fetch('http://127.0.0.1:8501/healthz')");
    expect(text(stage(file, 'prod-deps'), 'RUN').join()).toMatch(/npm ci --omit=dev --workspace app\/ui/);
  });

  it('shares its npm stages with the API image, so that BuildKit reuses one `npm ci` layer', () => {
    const api = parseDockerfile('app/api/Dockerfile');
    const lines = (f: ParsedDockerfile, name: string) =>
      stage(f, name).instructions.map((i) => i.getTextContent());
    expect(lines(file, 'manifests')).toEqual(lines(api, 'manifests'));
    expect(lines(file, 'build')[0]).toEqual(lines(api, 'build')[0]);
  });
});

describe('.dockerignore', () => {
  const lines = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('leaves everything out by default and never sends node_modules, build output or tests', () => {
    expect(lines[0]).toBe('*');
    for (const pattern of ['**/node_modules', '**/dist', '**/test', '**/.env*'])
      expect(lines).toContain(pattern);
  });

  it('lets in what the Dockerfiles copy from the context', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      '.npmrc',
      'tsconfig.base.json',
      'app/',
      'models/',
    ]) {
      expect(lines).toContain(`!${path}`);
      expect(existsSync(new URL(path, root)), path).toBe(true);
    }
  });
});

// Compose files as `docker compose` reads them (environment references are left as written).
type Service = Record<string, unknown> & {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  ports?: string[];
  environment?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  logging?: { driver: string; options: Record<string, string> };
  volumes?: string[];
  deploy?: { resources: { reservations: { devices: Record<string, unknown>[] } } };
};
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}
const compose = (path: string): ComposeFile => parse(read(path), { merge: true }) as ComposeFile;

describe('docker-compose.yml', () => {
  const file = compose('docker-compose.yml');
  const { api, ui } = file.services;

  it('is read by Compose v1.29 and v2 alike: no version or name key', () => {
    expect(file).not.toHaveProperty('version');
    expect(file).not.toHaveProperty('name');
    expect(Object.keys(file.services).sort()).toEqual(['api', 'ui']);
  });

  it('takes the images from API_IMAGE / UI_IMAGE, building them from the repository when unset', () => {
    expect(api?.image).toBe('${API_IMAGE:-modelship-api:local}');
    expect(ui?.image).toBe('${UI_IMAGE:-modelship-ui:local}');
    expect(api?.build).toMatchObject({ context: '.', dockerfile: 'app/api/Dockerfile' });
    expect(ui?.build).toMatchObject({ context: '.', dockerfile: 'app/ui/Dockerfile' });
    for (const s of [api, ui]) expect(existsSync(new URL(s?.build?.dockerfile ?? '-', root))).toBe(true);
  });

  it('starts the UI once the API is healthy, and keeps both running with rotated logs', () => {
    expect(ui?.depends_on).toEqual({ api: { condition: 'service_healthy' } });
    for (const s of [api, ui]) {
      expect(s?.restart).toBe('unless-stopped');
      expect(s?.logging?.driver).toBe('json-file');
      expect(s?.logging?.options['max-size']).toMatch(/^\$\{LOG_MAX_SIZE:-\d+m\}$/);
      expect(s?.logging?.options['max-file']).toBeDefined();
    }
    expect(api?.healthcheck?.test.join(' ')).toContain("fetch('http://127.0.0.1:8000/ready')");
    expect(ui?.healthcheck?.test.join(' ')).toContain("fetch('http://127.0.0.1:8501/healthz')");
  });

  it('publishes only the UI (UI_PORT, default 8501); the API stays on the compose network', () => {
    expect(api).not.toHaveProperty('ports');
    expect(ui?.ports).toEqual(['${UI_BIND:-0.0.0.0}:${UI_PORT:-8501}:8501']);
    expect(ui?.environment).toContain('API_URL=http://api:8000');
  });

  it('passes the API tuning variables through', () => {
    for (const name of ['APP_VERSION', 'WORKERS', 'ORT_PROVIDERS', 'LOG_LEVEL'])
      expect(api?.environment).toContain(name);
  });

  it('gives the UI and the Caddy front none of the variables that an API-only deploy changes', () => {
    // Compose recreates (stops, then starts) a service whose config hash changed, and the hash covers every
    // interpolated value, build arguments included, even with `up --no-build`. A UI stopped during an
    // API rollout fails the POSTs in flight: Caddy cannot replay their bodies.
    const { caddy } = compose('docker-compose.caddy.yml').services;
    // Settings of the whole stack, which no API deploy changes on its own: the log rotation, and the upload
    // limit that the UI proxy and Caddy enforce together with the API.
    const shared = new Set(['LOG_MAX_SIZE', 'LOG_MAX_FILE', 'GIT_REVISION', 'BODY_LIMIT_MB']);
    const apiVariables = [...composeVariables(api)].filter((name) => !shared.has(name));
    expect(apiVariables).toEqual(expect.arrayContaining(['API_IMAGE', 'APP_VERSION', 'WORKERS']));
    for (const service of [ui, caddy]) {
      expect([...composeVariables(service)].filter((name) => apiVariables.includes(name))).toEqual([]);
    }
  });
});

/** Variables a compose service reads: `${NAME...}` interpolations and pass-through `environment` entries. */
function composeVariables(service: Service | undefined): Set<string> {
  const names = [...JSON.stringify(service ?? {}).matchAll(/\$\{(\w+)/g)].map((m) => m[1] ?? '');
  const passed = (service?.environment ?? []).filter((entry) => /^\w+$/.test(entry));
  return new Set([...names, ...passed]);
}

describe('compose overlays', () => {
  it('dev publishes the API on loopback', () => {
    const { api } = compose('docker-compose.dev.yml').services;
    expect(api?.ports).toEqual(['${API_BIND:-127.0.0.1}:${API_PORT:-8000}:8000']);
  });

  it('gpu reserves the NVIDIA GPU for the api and selects the gpu image', () => {
    const { api, ...others } = compose('docker-compose.gpu.yml').services;
    expect(others).toEqual({});
    expect(api?.image).toBe('${API_IMAGE:-modelship-api:gpu}');
    expect(api?.build).toMatchObject({ dockerfile: 'app/api/Dockerfile', target: 'gpu' });
    expect(api?.deploy?.resources.reservations.devices).toEqual([
      { driver: 'nvidia', count: 1, capabilities: ['gpu'] },
    ]);
    expect(api?.environment).toContain('ORT_PROVIDERS=${ORT_PROVIDERS:-cuda,cpu}');
  });

  it('caddy fronts the UI with HTTPS, keeps certificates in a volume and reads the Caddyfile from deploy/', () => {
    const file = compose('docker-compose.caddy.yml');
    const { caddy } = file.services;
    expect(caddy?.image).toBe('${CADDY_IMAGE:-caddy:2}');
    expect(caddy?.restart).toBe('unless-stopped');
    expect(caddy?.depends_on).toEqual({ ui: { condition: 'service_healthy' } });
    expect(caddy?.ports).toEqual([
      '${HTTP_PORT:-80}:80',
      '${HTTPS_PORT:-443}:443',
      '${HTTPS_PORT:-443}:443/udp',
    ]);
    expect(caddy?.volumes).toEqual([
      './deploy/Caddyfile:/etc/caddy/Caddyfile:ro',
      'caddy_data:/data',
      'caddy_config:/config',
    ]);
    expect(Object.keys(file.volumes ?? {})).toEqual(['caddy_data', 'caddy_config']);
    expect(caddy?.environment).toEqual([
      'SITE_ADDRESS=${SITE_ADDRESS:-localhost}',
      'BASIC_AUTH_USER',
      'BASIC_AUTH_HASH',
      'BODY_LIMIT_MB',
    ]);
    expect(caddy?.logging?.driver).toBe('json-file');
    // Behind Caddy, the UI passes Caddy's X-Forwarded-* on instead of setting its own.
    expect(file.services.ui?.environment).toEqual(['TRUST_PROXY=true']);
  });

  it('hardens every service: read-only root, scratch /tmp, no capabilities, no privilege gain, limits', () => {
    const services: Record<string, Service> = {
      ...compose('docker-compose.yml').services,
      caddy: compose('docker-compose.caddy.yml').services.caddy as Service,
    };
    for (const [name, service] of Object.entries(services)) {
      expect(service, name).toMatchObject({
        read_only: true,
        tmpfs: ['/tmp'],
        cap_drop: ['ALL'],
        security_opt: ['no-new-privileges:true'],
      });
      expect(service.mem_limit, name).toMatch(/^\$\{[A-Z_]+_MEM_LIMIT:-\d+[mg]\}$/);
      expect(service.pids_limit, name).toBeGreaterThanOrEqual(64);
    }
    // Only Caddy binds a privileged port.
    expect(services.caddy?.cap_add).toEqual(['NET_BIND_SERVICE']);
    expect(services.api?.cap_add).toBeUndefined();
  });
});

describe('deploy/Caddyfile', () => {
  const caddyfile = read('deploy/Caddyfile');

  it('serves SITE_ADDRESS and proxies everything to the UI', () => {
    expect(caddyfile).toMatch(/^\{\$SITE_ADDRESS:localhost\} \{$/m);
    expect(caddyfile).toMatch(/^\treverse_proxy ui:8501 \{$/m);
    expect(caddyfile).toMatch(/^\t\tlb_try_duration 30s$/m); // UI container replaced during a deploy
  });

  it('applies basic auth only when BASIC_AUTH_USER is set, with a bcrypt hash', () => {
    expect(caddyfile).toMatch(/@protected expression `"\{\$BASIC_AUTH_USER:\}" != ""`/);
    expect(caddyfile).toMatch(
      /basicauth @protected \{\n\t\t\{\$BASIC_AUTH_USER:-\} \{\$BASIC_AUTH_HASH:\$2a\$14\$.{53}\}\n/,
    );
  });
});
