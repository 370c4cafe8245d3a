// Every setting of the Pulumi program, read and validated here and nowhere else. Validation runs before any
// resource is declared, and each message names the key, the allowed values and the command that fixes it.
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';

export const GPU_TYPES = ['nvidia-l4', 'nvidia-tesla-t4', 'none'] as const;
export type GpuType = (typeof GPU_TYPES)[number];
export const SHAPES = ['single-vm'] as const;
export type Shape = (typeof SHAPES)[number];

/** Cloud IAP's TCP-forwarding range: `gcloud compute ssh --tunnel-through-iap` connects from here. */
export const IAP_SSH_RANGE = '35.235.240.0/20';

/**
 * Defaults, kept equal to the `config:` block of Pulumi.yaml (a test checks it). The image is Canonical's
 * Ubuntu 24.04 accelerator image: the NVIDIA driver is preinstalled and signed, so Secure Boot stays on.
 */
export const DEFAULTS = {
  shape: 'single-vm',
  machineType: 'g2-standard-4',
  gpu: 'nvidia-l4',
  gpuCount: 1,
  spot: false,
  bootDiskGb: 100,
  vmImage: 'ubuntu-os-accelerator-images/ubuntu-accelerator-2404-amd64-with-nvidia-580',
  domain: '',
  dnsZone: '',
  sshSourceRanges: [IAP_SSH_RANGE],
  basicAuth: '',
  apiReplicas: 1,
  apiWorkers: 0,
  registryKeepVersions: 5,
  readinessTimeoutMinutes: 20,
  alertEmail: '',
  billingAccount: '',
  monthlyBudget: 0,
  idleStopMinutes: 0,
} as const;

/** Project-namespace keys (`pulumi config set <key> ...`), in the order they are documented. */
export const PROJECT_KEYS = Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[];
/** Keys read from the gcp provider's namespace. */
export const GCP_KEYS = ['gcp:project', 'gcp:region', 'gcp:zone'] as const;

/** Raw values as Pulumi config holds them: strings (arrays as JSON), or undefined when unset. */
export type RawConfig = Partial<Record<(typeof PROJECT_KEYS)[number] | (typeof GCP_KEYS)[number], string>>;

export interface DeployConfig {
  shape: Shape;
  project: string;
  region: string;
  zone: string;
  machineType: string;
  /** The GPU attached to the VM; undefined for a CPU-only VM. */
  gpu?: { type: Exclude<GpuType, 'none'>; count: number };
  spot: boolean;
  bootDiskGb: number;
  vmImage: string;
  /** The public hostname; undefined means the static IP's sslip.io name. */
  domain?: string;
  /** Existing Cloud DNS managed zone that gets the A record for `domain`. */
  dnsZone?: string;
  sshSourceRanges: string[];
  /** Plain credentials from the secret `basicAuth`; the program keeps everything derived from them secret. */
  basicAuth?: { user: string; password: string };
  apiReplicas: number;
  /** Inference workers per API replica; undefined lets the API pick (one per vCPU). */
  apiWorkers?: number;
  registryKeepVersions: number;
  readinessTimeoutMinutes: number;
  /** Where alert (and budget) e-mails go; undefined: no alert policies. */
  alertEmail?: string;
  /** A monthly Cloud Billing budget for the project. */
  budget?: { billingAccount: string; monthlyAmount: number };
  /** The VM powers itself off after this many minutes without a prediction; undefined: never. */
  idleStopMinutes?: number;
}

/** L4s that each g2 machine type carries by itself (GCE attaches them; the count is not ours to choose). */
const G2_L4_COUNT: Record<string, number> = {
  'g2-standard-4': 1,
  'g2-standard-8': 1,
  'g2-standard-12': 1,
  'g2-standard-16': 1,
  'g2-standard-24': 2,
  'g2-standard-32': 1,
  'g2-standard-48': 4,
  'g2-standard-96': 8,
};
const T4_COUNTS = [1, 2, 4];
// Accelerator-optimized families other than g2 carry GPUs this program does not target.
const UNSUPPORTED_FAMILIES = ['a2', 'a3', 'a4', 'g4', 'ct5lp', 'ct6e'];

export const machineFamily = (machineType: string): string => machineType.split('-')[0] ?? '';
/** us-central1-a → us-central1. */
const regionOf = (zone: string): string => zone.replace(/-[a-z]$/, '');

const set = (key: string) => `pulumi config set ${key} <value>`;

const intSetting = (key: string, def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `must be an integer from ${min} to ${max} (got "${v}"); ${set(key)}`,
        });
        return z.NEVER;
      }
      return n;
    });

const textSetting = (key: string, def: string, pattern: RegExp, allowed: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const value = v === undefined || v.trim() === '' ? def : v.trim();
      if (value !== '' && !pattern.test(value)) {
        ctx.addIssue({ code: 'custom', message: `must be ${allowed} (got "${value}"); ${set(key)}` });
        return z.NEVER;
      }
      return value;
    });

const enumSetting = <T extends readonly string[]>(key: string, values: T, def: T[number]) =>
  z
    .string()
    .optional()
    .transform((v, ctx): T[number] => {
      const value = v === undefined || v.trim() === '' ? def : v.trim();
      if (!values.includes(value)) {
        ctx.addIssue({
          code: 'custom',
          message: `must be one of ${values.join(', ')} (got "${value}"); ${set(key)}`,
        });
        return z.NEVER;
      }
      return value;
    });

const boolSetting = (key: string, def: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      if (v === 'true' || v === 'false') return v === 'true';
      ctx.addIssue({ code: 'custom', message: `must be true or false (got "${v}"); ${set(key)}` });
      return z.NEVER;
    });

const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(3[0-2]|[12]?\d)$/;

const cidrListSetting = (key: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return [...DEFAULTS.sshSourceRanges];
      let list: unknown;
      try {
        list = JSON.parse(v);
      } catch {
        list = undefined;
      }
      const hint = `set it with: pulumi config set --path '${key}[0]' ${IAP_SSH_RANGE}`;
      if (!Array.isArray(list) || list.length === 0 || !list.every((c) => typeof c === 'string')) {
        ctx.addIssue({ code: 'custom', message: `must be a non-empty list of IPv4 CIDR ranges; ${hint}` });
        return z.NEVER;
      }
      for (const cidr of list as string[]) {
        if (!IPV4_CIDR.test(cidr)) {
          ctx.addIssue({
            code: 'custom',
            message: `"${cidr}" is not an IPv4 CIDR range like ${IAP_SSH_RANGE}`,
          });
        } else if (cidr.endsWith('/0')) {
          ctx.addIssue({
            code: 'custom',
            message: `"${cidr}" would open SSH to the whole internet; use the IAP range ${IAP_SSH_RANGE} (the default)`,
          });
        }
      }
      return list as string[];
    });

// The value is a secret: messages describe what is wrong and never echo it.
const basicAuthSetting = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    const colon = v.indexOf(':');
    const user = colon > 0 ? v.slice(0, colon) : '';
    const password = colon > 0 ? v.slice(colon + 1) : '';
    const hint = 'pulumi config set --secret basicAuth <user>:<password>';
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(user)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be "<user>:<password>" with a user of letters, digits, . _ @ - (1 to 64); ${hint}`,
      });
      return z.NEVER;
    }
    if (password.length < 8 || /[\r\n]/.test(password)) {
      ctx.addIssue({
        code: 'custom',
        message: `the password must be at least 8 characters on one line; ${hint}`,
      });
      return z.NEVER;
    }
    return { user, password };
  });

const rawSchema = z.object({
  'gcp:project': z
    .string({ error: 'is not set; run: pulumi config set gcp:project <your-project-id>' })
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, {
      error:
        'must be a GCP project ID (6 to 30 lowercase letters, digits, hyphens); see gcloud projects list',
    }),
  'gcp:zone': z
    .string({ error: 'is not set; run: pulumi config set gcp:zone <zone>, e.g. us-central1-a' })
    .regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, {
      error: 'must be a zone name such as us-central1-a or europe-west4-a',
    }),
  'gcp:region': z.string().optional(),
  shape: enumSetting('shape', SHAPES, DEFAULTS.shape),
  machineType: textSetting(
    'machineType',
    DEFAULTS.machineType,
    /^[a-z][a-z0-9]*-[a-z]+-\d+[a-z]*$/,
    'a machine type such as g2-standard-4, n1-standard-4 or e2-standard-4',
  ),
  gpu: enumSetting('gpu', GPU_TYPES, DEFAULTS.gpu),
  gpuCount: intSetting('gpuCount', DEFAULTS.gpuCount, 1, 8),
  spot: boolSetting('spot', DEFAULTS.spot),
  bootDiskGb: intSetting('bootDiskGb', DEFAULTS.bootDiskGb, 50, 2000),
  vmImage: textSetting(
    'vmImage',
    DEFAULTS.vmImage,
    /^[a-z0-9][a-z0-9.-]*(\/[a-z0-9][a-z0-9.-]*)?$/,
    'an image family or image as <project>/<family>',
  ),
  domain: textSetting(
    'domain',
    DEFAULTS.domain,
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'a lowercase hostname such as app.example.com',
  ),
  dnsZone: textSetting(
    'dnsZone',
    DEFAULTS.dnsZone,
    /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
    'the name (not the DNS name) of a Cloud DNS managed zone, see gcloud dns managed-zones list',
  ),
  sshSourceRanges: cidrListSetting('sshSourceRanges'),
  basicAuth: basicAuthSetting,
  apiReplicas: intSetting('apiReplicas', DEFAULTS.apiReplicas, 1, 8),
  apiWorkers: intSetting('apiWorkers', DEFAULTS.apiWorkers, 0, 64),
  registryKeepVersions: intSetting('registryKeepVersions', DEFAULTS.registryKeepVersions, 1, 100),
  readinessTimeoutMinutes: intSetting('readinessTimeoutMinutes', DEFAULTS.readinessTimeoutMinutes, 1, 120),
  alertEmail: textSetting(
    'alertEmail',
    DEFAULTS.alertEmail,
    /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/,
    'one e-mail address such as you@example.com',
  ),
  billingAccount: textSetting(
    'billingAccount',
    DEFAULTS.billingAccount,
    /^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/,
    'a billing account ID such as 012345-6789AB-CDEF01 (gcloud billing accounts list)',
  ),
  monthlyBudget: intSetting('monthlyBudget', DEFAULTS.monthlyBudget, 0, 1_000_000),
  // a week at most; under 10 minutes a VM could stop before its first boot has finished
  idleStopMinutes: intSetting('idleStopMinutes', DEFAULTS.idleStopMinutes, 0, 10_080),
});

type Parsed = z.output<typeof rawSchema>;
type Problem = { key: string; message: string };

/** The combinations GCE refuses, or that this program cannot serve, as problems keyed by setting. */
function crossChecks(c: Parsed): Problem[] {
  const problems: Problem[] = [];
  const zoneRegion = regionOf(c['gcp:zone']);
  if (c['gcp:region'] && c['gcp:region'] !== zoneRegion) {
    problems.push({
      key: 'gcp:region',
      message: `is "${c['gcp:region']}" but gcp:zone ${c['gcp:zone']} is in ${zoneRegion}; set them to match`,
    });
  }
  const family = machineFamily(c.machineType);
  if (UNSUPPORTED_FAMILIES.includes(family)) {
    problems.push({
      key: 'machineType',
      message: `${c.machineType}: the ${family} family is not supported; use g2-standard-* (L4), n1-standard-* with gpu nvidia-tesla-t4, or a CPU type such as e2-standard-4`,
    });
  } else if (c.gpu === 'nvidia-l4') {
    const l4s = G2_L4_COUNT[c.machineType];
    if (family !== 'g2') {
      problems.push({
        key: 'gpu',
        message: `nvidia-l4 needs a g2-standard-* machine type (got machineType ${c.machineType}); use machineType g2-standard-4, or gpu nvidia-tesla-t4 with n1-standard-4, or gpu none`,
      });
    } else if (l4s === undefined) {
      problems.push({
        key: 'machineType',
        message: `${c.machineType} is not a g2 machine type; use one of ${Object.keys(G2_L4_COUNT).join(', ')}`,
      });
    } else if (c.gpuCount !== l4s) {
      problems.push({
        key: 'gpuCount',
        message: `${c.machineType} carries exactly ${l4s} L4 GPU(s) (got ${c.gpuCount}); set gpuCount ${l4s} or pick the g2 size with ${c.gpuCount}`,
      });
    }
  } else if (c.gpu === 'nvidia-tesla-t4') {
    if (family !== 'n1') {
      problems.push({
        key: 'gpu',
        message: `nvidia-tesla-t4 attaches only to n1-* machine types (got machineType ${c.machineType}); use machineType n1-standard-4`,
      });
    } else if (!T4_COUNTS.includes(c.gpuCount)) {
      problems.push({
        key: 'gpuCount',
        message: `must be one of ${T4_COUNTS.join(', ')} for nvidia-tesla-t4 (got ${c.gpuCount})`,
      });
    }
  } else if (family === 'g2') {
    problems.push({
      key: 'gpu',
      message: `is none but ${c.machineType} always carries an L4; use gpu nvidia-l4, or a CPU machine type such as e2-standard-4`,
    });
  }
  if (c.billingAccount && c.monthlyBudget === 0) {
    problems.push({
      key: 'monthlyBudget',
      message: `billingAccount is set but monthlyBudget is not; set the amount too: ${set('monthlyBudget')}`,
    });
  } else if (c.monthlyBudget > 0 && !c.billingAccount) {
    problems.push({
      key: 'billingAccount',
      message: `monthlyBudget is set but billingAccount is not (gcloud billing accounts list); ${set('billingAccount')}`,
    });
  }
  if (c.idleStopMinutes > 0 && c.idleStopMinutes < 10) {
    problems.push({
      key: 'idleStopMinutes',
      message: `must be 0 (off) or at least 10, so that the VM can boot and load the models first (got ${c.idleStopMinutes})`,
    });
  }
  if (c.dnsZone && !c.domain) {
    problems.push({
      key: 'dnsZone',
      message: `is set but domain is not; set the hostname too: pulumi config set domain app.example.com`,
    });
  }
  return problems;
}

export class ConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(
      `Invalid stack configuration (nothing was changed):\n${problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Validates raw config values; throws a ConfigError listing every problem, each naming its key. */
export function parseConfig(raw: RawConfig): DeployConfig {
  const result = rawSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        key: String(issue.path[0] ?? '(config)'),
        message: issue.message,
      })),
    );
  }
  const c = result.data;
  const problems = crossChecks(c);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    shape: c.shape,
    project: c['gcp:project'],
    region: regionOf(c['gcp:zone']),
    zone: c['gcp:zone'],
    machineType: c.machineType,
    ...(c.gpu !== 'none' && { gpu: { type: c.gpu, count: c.gpuCount } }),
    spot: c.spot,
    bootDiskGb: c.bootDiskGb,
    vmImage: c.vmImage,
    ...(c.domain && { domain: c.domain }),
    ...(c.dnsZone && { dnsZone: c.dnsZone }),
    sshSourceRanges: c.sshSourceRanges,
    ...(c.basicAuth && { basicAuth: c.basicAuth }),
    apiReplicas: c.apiReplicas,
    ...(c.apiWorkers > 0 && { apiWorkers: c.apiWorkers }),
    registryKeepVersions: c.registryKeepVersions,
    readinessTimeoutMinutes: c.readinessTimeoutMinutes,
    ...(c.alertEmail && { alertEmail: c.alertEmail }),
    ...(c.billingAccount && { budget: { billingAccount: c.billingAccount, monthlyAmount: c.monthlyBudget } }),
    ...(c.idleStopMinutes > 0 && { idleStopMinutes: c.idleStopMinutes }),
  };
}

/** Reads the stack's config (project keys and gcp:project/region/zone) and validates it. */
export function loadConfig(): DeployConfig {
  const project = new pulumi.Config();
  const gcp = new pulumi.Config('gcp');
  const raw: RawConfig = {};
  for (const key of PROJECT_KEYS) raw[key] = project.get(key);
  for (const key of GCP_KEYS) raw[key] = gcp.get(key.slice('gcp:'.length));
  return parseConfig(raw);
}
