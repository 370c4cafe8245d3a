// The Dockerfiles, compose files and Caddyfile, checked without a Docker engine: the properties the VM and
// the images rely on (default target, GPU target, non-root user, health checks, compose wiring). The
// engine suite (test/docker) proves that they build and run.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` here is Dockerfile and compose syntax, compared as text
import { existsSync, readFileSync } from 'node:fs';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { IMAGE_INPUTS } from '../build-info.js';

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

describe('Dockerfile', () => {
  const file = parseDockerfile('Dockerfile');
  const targets = { api: 'api', gpu: 'api-gpu', ui: 'ui' } as const;

  it('takes both base images from one FROM each, pinned by digest, overridable by a build argument', () => {
    expect([...file.args.keys()]).toEqual(['NODE_IMAGE', 'CUDA_IMAGE']);
    // no ARG default: compose passes an empty value when the variable is unset, and `:-` keeps the pin then
    expect([...file.args.values()]).toEqual([null, null]);
    expect(stage(file, 'node').base).toMatch(/^\$\{NODE_IMAGE:-node:22-bookworm-slim@sha256:[0-9a-f]{64}\}$/);
    // onnxruntime-node 1.30's CUDA EP needs CUDA 12 and cuDNN 9: the cudnn runtime images carry cuDNN 9
    expect(stage(file, 'api-gpu').base).toMatch(
      /^\$\{CUDA_IMAGE:-nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu\d\d\.04@sha256:[0-9a-f]{64}\}$/,
    );
    const external = file.stages.filter((s) => !file.stages.some((other) => other.name === s.base));
    expect(external.map((s) => s.name)).toEqual(['node', 'api-gpu']);
  });

  it('defaults to the CPU API, whose build never touches the CUDA or UI stages', () => {
    expect(defaultTarget(file).name).toBe(targets.api);
    const needed = stagesNeededBy(file, targets.api);
    for (const name of ['api-gpu', 'api-gpu-deps', 'ui-build', 'ui-prod-deps'])
      expect(needed).not.toContain(name);
    expect(needed).toEqual(
      new Set(['api', 'runtime', 'node', 'tools', 'api-prod-deps', 'manifests', 'api-build', 'dev-deps']),
    );
  });

  it('shares the npm, tool and runtime stages between the images', () => {
    const shared = ['node', 'manifests', 'tools'];
    for (const target of Object.values(targets)) {
      for (const name of shared) expect(stagesNeededBy(file, target), target).toContain(name);
    }
    for (const target of [targets.api, targets.ui]) expect(stage(file, target).base).toBe('runtime');
    expect(stagesNeededBy(file, targets.gpu)).toContain('api-build');
    expect(stagesNeededBy(file, targets.gpu)).not.toContain('runtime');
  });

  it('installs with npm ci through a BuildKit cache, skipping the CUDA download on npm 10 too', () => {
    expect(text(stage(file, 'manifests'), 'COPY').join('\n')).toMatch(/\.npmrc/);
    expect(text(stage(file, 'manifests'), 'ENV').join('\n')).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
    for (const name of ['dev-deps', 'api-prod-deps', 'ui-prod-deps']) {
      const [run] = keyword(stage(file, name), 'RUN');
      expect(run && flagValue(run, 'mount'), name).toBe('type=cache,target=/root/.npm');
      expect(run?.getArgumentsContent(), name).toMatch(/^npm ci\b/);
    }
    expect(text(stage(file, 'api-build'), 'RUN')).toEqual(['npm run build -w app/api']);
    expect(text(stage(file, 'ui-build'), 'RUN')).toEqual([
      'npm run build -w app/api && npm run build -w app/ui',
    ]);
  });

  it('keeps production dependencies of each workspace only and prunes the other platforms of onnxruntime-node', () => {
    const [install] = text(stage(file, 'api-prod-deps'), 'RUN');
    expect(install).toMatch(/npm ci --omit=dev --workspace app\/api/);
    expect(install).toMatch(/onnxruntime-node\/bin\/napi-v6/);
    expect(install).toMatch(/TARGETARCH/);
    expect(install).toMatch(/rm -rf "\$\{ort:\?\}"\/\*/);
    expect(keyword(stage(file, 'api-prod-deps'), 'ARG').map((a) => a.getArgumentsContent())).toContain(
      'TARGETARCH',
    );
    expect(text(stage(file, 'ui-prod-deps'), 'RUN').join()).toMatch(/npm ci --omit=dev --workspace app\/ui/);
  });

  describe('health checks', () => {
    const checks = file.stages.flatMap((s) => keyword(s, 'HEALTHCHECK').map((i) => ({ stage: s.name, i })));

    it('one probe for every image: the healthcheck script, asking for the HEALTH_PATH each image sets', () => {
      expect(checks.map((c) => c.stage)).toEqual(['runtime', 'api-gpu']);
      for (const { i } of checks) {
        expect(body(i)).toMatch(
          /^--interval=10s --timeout=5s --start-period=\d+s --retries=3 CMD \["healthcheck"\]$/,
        );
      }
      for (const s of ['tools']) {
        expect(text(stage(file, s), 'COPY')).toContain('deploy/healthcheck.mjs /usr/local/bin/healthcheck');
      }
      const env = (name: string) =>
        lineage(file, name)
          .flatMap((s) => text(s, 'ENV'))
          .join(' ');
      expect(env(targets.api)).toMatch(/PORT=8000 HEALTH_PATH=\/ready/);
      expect(env(targets.gpu)).toMatch(/PORT=8000 HEALTH_PATH=\/ready/);
      expect(env(targets.ui)).toMatch(/PORT=8501 HEALTH_PATH=\/healthz/);
    });

    it('gives the CUDA image a longer start period than the CPU images (its warm-up is slower)', () => {
      const period = (name: string) =>
        Number(
          /--start-period=(\d+)s/.exec(body(checks.find((c) => c.stage === name)?.i as Instruction))?.[1],
        );
      expect(period('api-gpu')).toBeGreaterThanOrEqual(2 * period('runtime'));
    });
  });

  for (const target of Object.values(targets)) {
    describe(`target ${target}`, () => {
      const chain = lineage(file, target);
      const all = (kw: string) => chain.flatMap((s) => text(s, kw));

      it('runs the server as the non-root node user under tini', () => {
        expect(all('USER')).toEqual(['node']);
        expect(all('ENTRYPOINT')).toEqual(['["/usr/bin/tini", "--"]']);
        expect(all('ENV').join(' ')).toMatch(/NODE_ENV=production/);
      });

      it('carries the OCI source, version and revision labels, last (build arguments change only the labels)', () => {
        const s = stage(file, target);
        const labels = text(s, 'LABEL').join(' ');
        for (const key of ['source=$SOURCE', 'version=$VERSION', 'revision=$REVISION']) {
          expect(labels).toContain(`org.opencontainers.image.${key}`);
        }
        expect(s.instructions.at(-1)?.getKeyword()).toBe('LABEL');
      });
    });
  }

  for (const target of [targets.api, targets.gpu]) {
    it(`${target}: the API server with the models baked in`, () => {
      const copies = lineage(file, target).flatMap((s) => text(s, 'COPY'));
      expect(text(stage(file, target), 'CMD').join()).toMatch(/"app\/api\/dist\/server\.js"/);
      expect(text(stage(file, target), 'EXPOSE')).toEqual(['8000']);
      expect(copies).toContain('models ./models');
      // the server's dist/ resolves ../../../models and ../package.json: the repository layout
      expect(copies).toContain('--from=api-build /src/app/api/dist ./app/api/dist');
    });
  }

  it('ui: the UI server and its built front end', () => {
    const ui = stage(file, targets.ui);
    expect(text(ui, 'EXPOSE')).toEqual(['8501']);
    expect(text(ui, 'CMD').join()).toMatch(/"app\/ui\/dist\/server\/server\.js"/);
    expect(text(ui, 'COPY')).toContain('--from=ui-build /src/app/ui/dist ./app/ui/dist');
    // of the API, only the modules both servers share (@modelship/api/http-server and /shared-env), never its
    // models
    const fromApi = text(ui, 'COPY').filter((c) => /models|app\/api/.test(c));
    expect(fromApi).toEqual([
      '--from=ui-build /src/app/api/dist/http-server.js /src/app/api/dist/shared-env.js /src/app/api/dist/decimal.js ./app/api/dist/',
      'app/api/package.json ./app/api/',
    ]);
  });

  it('api-gpu: Node 22 from the node image, onnxruntime-node with its cuda12 opt-in, ORT_PROVIDERS=cuda,cpu', () => {
    const gpu = stage(file, targets.gpu);
    expect(text(gpu, 'COPY')).toContain('--from=node /usr/local/bin/node /usr/local/bin/node');
    expect(text(gpu, 'COPY')).toContain('--from=api-gpu-deps /src/node_modules ./node_modules');
    expect(text(gpu, 'ENV').join(' ')).toMatch(/ORT_PROVIDERS=cuda,cpu/);
    expect(text(gpu, 'RUN').join('\n')).toMatch(/useradd --uid 1000 --gid node/);
    const gpuDeps = stage(file, 'api-gpu-deps');
    expect(gpuDeps.base).toBe('api-prod-deps');
    expect(text(gpuDeps, 'RUN').join('\n')).toMatch(
      /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/,
    );
    expect(text(gpuDeps, 'RUN').join('\n')).toMatch(/libonnxruntime_providers_cuda\.so/);
  });

  it('sets the API launch environment of app/api/launch-env.json in both API images, as npm start does', () => {
    const launch = JSON.parse(read('app/api/launch-env.json')) as Record<string, string>;
    expect(Object.keys(launch).length).toBeGreaterThan(0);
    for (const name of ['api', 'api-gpu']) {
      const env = text(stage(file, name), 'ENV').join(' ').split(' ');
      for (const [key, value] of Object.entries(launch)) expect(env, name).toContain(`${key}=${value}`);
    }
  });

  it('hashes, for each image revision, every file its targets copy from the context (infra/build-info.ts)', () => {
    const copied = (target: string) =>
      [...stagesNeededBy(file, target)].flatMap((name) =>
        keyword(stage(file, name), 'COPY')
          .filter((i) => !flagValue(i, 'from'))
          .flatMap((i) =>
            i
              .getArguments()
              .slice(0, -1)
              .map((a) => a.getValue().replace(/\/$/, '')),
          ),
      );
    const covered = (inputs: readonly string[], path: string) =>
      inputs.some((input) => path === input || path.startsWith(`${input}/`));
    for (const [image, target] of [
      ['api', targets.api],
      ['api', targets.gpu],
      ['ui', targets.ui],
    ] as const) {
      for (const path of copied(target))
        expect(covered(IMAGE_INPUTS[image], path), `${target}: ${path}`).toBe(true);
    }
    // and nothing more: a README or another image's sources never change an image's revision
    // (the UI runs the API's modules both servers share: the HTTP server and the environment rules)
    expect(IMAGE_INPUTS.ui.filter((p) => p.startsWith('app/api/') || p === 'models')).toEqual([
      'app/api/package.json',
      'app/api/tsconfig.build.json',
      'app/api/src/http-server.ts',
      'app/api/src/shared-env.ts',
      'app/api/src/decimal.ts',
    ]);
  });

  it('copies from the build context only what .dockerignore lets in', () => {
    const sources = file.stages
      .flatMap((s) => keyword(s, 'COPY'))
      .filter((i) => !flagValue(i, 'from'))
      .flatMap((i) =>
        i
          .getArguments()
          .slice(0, -1)
          .map((a) => a.getValue()),
      );
    expect(new Set(sources)).toEqual(
      new Set([
        'package.json',
        'package-lock.json',
        '.npmrc',
        'app/api/package.json',
        'app/ui/package.json',
        'tsconfig.base.json',
        'app/api/',
        'app/ui/',
        'deploy/healthcheck.mjs',
        'models',
        'app/api/tsconfig.build.json',
        'app/api/src/http-server.ts',
        'app/api/src/shared-env.ts',
        'app/api/src/decimal.ts',
      ]),
    );
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
      'deploy/healthcheck.mjs',
    ]) {
      expect(lines).toContain(`!${path}`);
      expect(existsSync(new URL(path, root)), path).toBe(true);
    }
  });
});

// Compose files as `docker compose` reads them (environment references are left as written).
type Service = Record<string, unknown> & {
  image?: string;
  build?: { context: string; target?: string; args?: Record<string, string> };
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
    // the root Dockerfile (compose's default), one target per image
    expect(api?.build).toEqual({ context: '.', target: 'api', args: expect.any(Object) });
    expect(ui?.build).toEqual({ context: '.', target: 'ui', args: expect.any(Object) });
    // an unset NODE_IMAGE reaches the Dockerfile empty, where `${NODE_IMAGE:-<pin>}` keeps the pin
    for (const s of [api, ui]) expect(s?.build?.args?.NODE_IMAGE).toBe('${NODE_IMAGE:-}');
  });

  it('starts the UI once the API is healthy, and keeps both running with rotated logs', () => {
    expect(ui?.depends_on).toEqual({ api: { condition: 'service_healthy' } });
    for (const s of [api, ui]) {
      expect(s?.restart).toBe('unless-stopped');
      expect(s?.logging?.driver).toBe('json-file');
      expect(s?.logging?.options['max-size']).toMatch(/^\$\{LOG_MAX_SIZE:-\d+m\}$/);
      expect(s?.logging?.options['max-file']).toBeDefined();
    }
    // The images' own health checks apply (one definition, in the Dockerfile): a compose `healthcheck`
    // would replace the GPU image's longer start period.
    for (const path of [
      'docker-compose.yml',
      'docker-compose.gpu.yml',
      'docker-compose.caddy.yml',
      'docker-compose.dev.yml',
    ]) {
      for (const [name, service] of Object.entries(compose(path).services)) {
        expect(service, `${path} ${name}`).not.toHaveProperty('healthcheck');
      }
    }
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

  it('the API trusts X-Forwarded-For only where the UI proxy is its one client (not when dev publishes it)', () => {
    expect(api?.environment).toContain('TRUST_PROXY=true');
    expect(compose('docker-compose.dev.yml').services.api?.environment).toContain('TRUST_PROXY=false');
  });

  it('gives the UI and the Caddy front none of the variables that an API-only deploy changes', () => {
    // Compose recreates (stops, then starts) a service whose config hash changed, and the hash covers every
    // interpolated value, build arguments included, even with `up --no-build`. A UI stopped during an
    // API rollout fails the POSTs in flight: Caddy cannot replay their bodies.
    const { caddy } = compose('docker-compose.caddy.yml').services;
    // Settings of the whole stack, which no API deploy changes on its own: the log rotation, and the upload
    // limit that the UI proxy and Caddy enforce together with the API.
    // NODE_IMAGE: the base of both images, read only where they are built.
    const shared = new Set(['LOG_MAX_SIZE', 'LOG_MAX_FILE', 'GIT_REVISION', 'BODY_LIMIT_MB', 'NODE_IMAGE']);
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
    expect(api?.build).toEqual({ context: '.', target: 'api-gpu', args: { CUDA_IMAGE: '${CUDA_IMAGE:-}' } });
    expect(api?.deploy?.resources.reservations.devices).toEqual([
      { driver: 'nvidia', count: 1, capabilities: ['gpu'] },
    ]);
    expect(api?.environment).toContain('ORT_PROVIDERS=${ORT_PROVIDERS:-cuda,cpu}');
  });

  it('caddy fronts the UI with HTTPS, keeps certificates in a volume and reads the Caddyfile from deploy/', () => {
    const file = compose('docker-compose.caddy.yml');
    const { caddy } = file.services;
    expect(caddy?.image).toMatch(/^\$\{CADDY_IMAGE:-caddy:2@sha256:[0-9a-f]{64}\}$/);
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

  it("does not forward the API's /metrics (the VM's monitoring scrapes the UI's loopback port instead)", () => {
    expect(caddyfile).toMatch(/^\t@metrics path \/api\/metrics \/api\/metrics\/\*\n\trespond @metrics 404$/m);
    expect(compose('docker-compose.yml').services.ui?.environment).toContain('PROXY_METRICS');
  });

  it('applies basic auth only when BASIC_AUTH_USER is set, with a bcrypt hash', () => {
    expect(caddyfile).toMatch(/@protected expression `"\{\$BASIC_AUTH_USER:\}" != ""`/);
    expect(caddyfile).toMatch(
      /basicauth @protected \{\n\t\t\{\$BASIC_AUTH_USER:-\} \{\$BASIC_AUTH_HASH:\$2a\$14\$.{53}\}\n/,
    );
  });
});
