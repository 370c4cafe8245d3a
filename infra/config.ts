// Every setting of the Pulumi program, read and validated here and nowhere else. Validation runs before any
// resource is declared, and each message names the key, the allowed values and the command that fixes it.
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { apiMemoryMiB, MEMORY_BUDGET } from '../app/api/src/memory-budget.js';

export const GPU_TYPES = ['nvidia-l4', 'nvidia-tesla-t4', 'none'] as const;
/** Public DNS services that answer a name like 34-1-2-3.<suffix> with that IP: the VM's URL without a domain. */
export const IP_HOST_SUFFIXES = ['sslip.io', 'nip.io'] as const;
export type GpuType = (typeof GPU_TYPES)[number];
export const SHAPES = ['single-vm', 'cloud-run'] as const;
export type Shape = (typeof SHAPES)[number];

/** vCPU counts a Cloud Run instance may have (the limits docs of cloudrunv2 ServiceTemplateContainerResources). */
export const CLOUD_RUN_CPUS = [1, 2, 4, 6, 8] as const;
/** Regions that offer Cloud Run services an NVIDIA L4 (cloud.google.com/run/docs/configuring/services/gpu). */
export const CLOUD_RUN_L4_REGIONS = [
  'us-central1',
  'us-east4',
  'europe-west1',
  'europe-west4',
  'asia-southeast1',
];
/** An L4 service needs at least this much, and instance-based billing (cpuIdle false). */
export const CLOUD_RUN_GPU_MIN = { cpu: 4, memoryGib: 16 } as const;

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
  gpuCount: 0,
  spot: false,
  bootDiskGb: 100,
  vmImage: 'ubuntu-os-accelerator-images/ubuntu-accelerator-2404-amd64-with-nvidia-580',
  domain: '',
  dnsZone: '',
  ipHostSuffix: 'sslip.io',
  sshSourceRanges: [IAP_SSH_RANGE],
  basicAuth: '',
  apiReplicas: 1,
  apiWorkers: 0,
  registryKeepVersions: 5,
  readinessTimeoutMinutes: 20,
  cloudRunCpu: 4,
  cloudRunMemoryGib: 16,
  minInstances: 0,
  maxInstances: 3,
  gpuZonalRedundancy: false,
  alertEmail: '',
  billingAccount: '',
  monthlyBudget: '',
  idleStopMinutes: 0,
} as const;

/** Project-namespace keys (`pulumi config set <key> ...`), in the order they are documented. */
export const PROJECT_KEYS = Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[];
/** Keys read from the gcp provider's namespace. */
export const GCP_KEYS = ['gcp:project', 'gcp:region', 'gcp:zone'] as const;

/** Raw values as Pulumi config holds them: strings (arrays as JSON), or undefined when unset. */
export type RawConfig = Partial<Record<(typeof PROJECT_KEYS)[number] | (typeof GCP_KEYS)[number], string>>;

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
/**
 * The largest N1 machine each T4 count may attach to (cloud.google.com/compute/docs/gpus, N1 + T4 table):
 * 1 or 2 T4s up to 48 vCPU and 312 GB, 4 T4s up to 96 vCPU and 624 GB.
 */
const T4_LIMITS: Record<number, { vcpus: number; memoryGb: number }> = {
  1: { vcpus: 48, memoryGb: 312 },
  2: { vcpus: 48, memoryGb: 312 },
  4: { vcpus: 96, memoryGb: 624 },
};
const T4_COUNTS = Object.keys(T4_LIMITS).map(Number);
// Accelerator-optimized families other than g2 carry GPUs this program does not target.
const UNSUPPORTED_FAMILIES = ['a2', 'a3', 'a4', 'g4', 'ct5lp', 'ct6e'];
/** Arm (arm64) series: Tau T2A (Ampere Altra), C4A and N4A (Axion), A4X (Grace). */
const ARM_FAMILIES = ['t2a', 'c4a', 'n4a', 'a4x'];
/** GB of memory per vCPU of the predefined N1 types. */
const N1_GB_PER_VCPU: Record<string, number> = { standard: 3.75, highmem: 6.5, highcpu: 0.9 };

/** vCPUs and memory of an N1 type (n1-standard-8, custom-4-16384, custom-4-16384-ext); undefined if unknown. */
function n1Size(machineType: string): { vcpus: number; memoryGb: number } | undefined {
  const predefined = /^n1-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
  if (predefined?.[1] && predefined[2]) {
    const vcpus = Number(predefined[2]);
    return { vcpus, memoryGb: vcpus * (N1_GB_PER_VCPU[predefined[1]] ?? 0) };
  }
  const custom = /^custom-(\d+)-(\d+)(-ext)?$/.exec(machineType);
  if (custom?.[1] && custom[2]) return { vcpus: Number(custom[1]), memoryGb: Number(custom[2]) / 1024 };
  return undefined;
}

/** GB per vCPU of the predefined types of the other x86 families, by class; highcpu differs by family. */
const GB_PER_VCPU: Record<string, number> = { standard: 4, highmem: 8, highcpu: 1 };
const HIGHCPU_2GB_FAMILIES = ['c2d', 'c3', 'c3d', 'c4', 'c4d', 'n4'];
/** E2's shared-core types: 2 vCPUs time-shared, and their memory. */
const E2_SHARED_CORE: Record<string, { vcpus: number; memoryGb: number }> = {
  'e2-micro': { vcpus: 2, memoryGb: 1 },
  'e2-small': { vcpus: 2, memoryGb: 2 },
  'e2-medium': { vcpus: 2, memoryGb: 4 },
};

/** vCPUs and memory of a machine type (g2-standard-8, e2-highmem-4, n1-standard-8, custom-4-16384); undefined
 * for a type this table does not know (the API then sizes its workers by the compose default limit). */
export function machineSize(machineType: string): { vcpus: number; memoryGb: number } | undefined {
  const shared = E2_SHARED_CORE[machineType];
  if (shared) return shared;
  if (isN1(machineType)) return n1Size(machineType);
  const predefined = /^([a-z0-9]+)-(standard|highmem|highcpu)-(\d+)(-lssd)?$/.exec(machineType);
  if (!predefined?.[1] || !predefined[2] || !predefined[3]) return undefined;
  const vcpus = Number(predefined[3]);
  const perVcpu =
    predefined[2] === 'highcpu' && HIGHCPU_2GB_FAMILIES.includes(predefined[1])
      ? 2
      : GB_PER_VCPU[predefined[2]];
  return perVcpu ? { vcpus, memoryGb: vcpus * perVcpu } : undefined;
}

/** MiB a VM keeps for the rest: the OS, Docker, the Ops Agent, and the UI and Caddy containers (256m each). */
export const VM_RESERVED_MIB = 1024;

export const machineFamily = (machineType: string): string => machineType.split('-')[0] ?? '';
/** N1, the family T4s attach to: n1-* and the N1 custom types, which GCE names `custom-<cpus>-<mb>`. */
export const isN1 = (machineType: string): boolean =>
  machineFamily(machineType) === 'n1' || machineFamily(machineType) === 'custom';
/** us-central1-a → us-central1. */
const regionOf = (zone: string): string => zone.replace(/-[a-z]$/, '');
/** gcp:region, or the zone's region. */
const regionFor = (c: { 'gcp:region'?: string | undefined; 'gcp:zone'?: string | undefined }) =>
  c['gcp:region'] ?? (c['gcp:zone'] ? regionOf(c['gcp:zone']) : undefined);

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

const textSetting = (
  key: string,
  def: string,
  pattern: RegExp,
  allowed: string,
  normalize: (v: string) => string = (v) => v,
) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const value = v === undefined || v.trim() === '' ? def : normalize(v.trim());
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
/**
 * The widest SSH source allowed, alone or all ranges together: a /8 (16,777,216 addresses). Wider is "the
 * internet" in pieces (0.0.0.0/1 + 128.0.0.0/1 is 0.0.0.0/0), which bots scan for SSH within minutes.
 */
const SSH_MIN_PREFIX = 8;
const SSH_MAX_ADDRESSES = 2 ** (32 - SSH_MIN_PREFIX);
const SSH_ADVICE = `use the IAP range ${IAP_SSH_RANGE} (the default) or your own address as /32`;

/** The first and last address (as numbers) of a valid IPv4 CIDR range. */
function ipv4Span(cidr: string): [number, number] {
  const [ip = '', bits = '0'] = cidr.split('/');
  const start = ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  const first = start - (start % size);
  return [first, first + size - 1];
}

/** How many distinct addresses the ranges cover together (overlaps counted once). */
export function ipv4Coverage(cidrs: string[]): number {
  const spans = cidrs.map(ipv4Span).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -1;
  for (const [first, last] of spans) {
    if (last <= end) continue;
    total += last - Math.max(first, end + 1) + 1;
    end = last;
  }
  return total;
}

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
      let rangeRefused = false;
      for (const cidr of list as string[]) {
        rangeRefused ||= !IPV4_CIDR.test(cidr) || Number(cidr.split('/')[1]) < SSH_MIN_PREFIX;
        if (!IPV4_CIDR.test(cidr)) {
          ctx.addIssue({
            code: 'custom',
            message: `"${cidr}" is not an IPv4 CIDR range like ${IAP_SSH_RANGE}`,
          });
        } else if (Number(cidr.split('/')[1]) < SSH_MIN_PREFIX) {
          ctx.addIssue({
            code: 'custom',
            message: `"${cidr}" would open SSH to ${cidr.endsWith('/0') ? 'the whole internet' : 'a large part of the internet'}: a range may be at most a /${SSH_MIN_PREFIX}; ${SSH_ADVICE}`,
          });
        }
      }
      const covered = rangeRefused ? 0 : ipv4Coverage(list as string[]);
      if (covered > SSH_MAX_ADDRESSES) {
        ctx.addIssue({
          code: 'custom',
          message: `the ranges together cover ${covered.toLocaleString('en-US')} addresses, more than one /${SSH_MIN_PREFIX} (${SSH_MAX_ADDRESSES.toLocaleString('en-US')}): SSH would be open to a large part of the internet; ${SSH_ADVICE}`,
        });
      }
      return list as string[];
    });

/** Public image projects whose every image is Debian or Ubuntu. */
const APT_IMAGE_PROJECTS = [
  'debian-cloud',
  'ubuntu-os-cloud',
  'ubuntu-os-pro-cloud',
  'ubuntu-os-accelerator-images',
];
const IMAGE_NAME = '[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?';
/** A GCP project ID: 6 to 30 lowercase letters, digits, hyphens, starting with a letter. */
const PROJECT_ID = '[a-z][-a-z0-9]{4,28}[a-z0-9]';
// <project>/<image or family>, and the resource paths GCE's docs and `gcloud --format` print (optionally a full URL).
const IMAGE_FORMS = [
  new RegExp(`^(${PROJECT_ID})/(${IMAGE_NAME})$`),
  new RegExp(
    `^(?:https://(?:www|compute)\\.googleapis\\.com/compute/v1/)?projects/(${PROJECT_ID})/global/images/(?:family/)?(${IMAGE_NAME})$`,
  ),
];

/**
 * The boot image, normalised to `<project>/<image or family>` (GCE tries the image, then the family). startup.sh
 * installs Docker and the NVIDIA toolkit with apt-get, and the app images are amd64: only x86 Debian or Ubuntu
 * images boot into a working app.
 */
const vmImageSetting = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const value = v === undefined || v.trim() === '' ? DEFAULTS.vmImage : v.trim();
    const match = IMAGE_FORMS.map((form) => form.exec(value)).find(Boolean);
    const examples = `e.g. ${DEFAULTS.vmImage}, ubuntu-os-cloud/ubuntu-2404-lts-amd64 or debian-cloud/debian-12`;
    if (!match?.[1] || !match[2]) {
      ctx.addIssue({
        code: 'custom',
        message: `must be an image or image family as <project>/<name> or projects/<project>/global/images/[family/]<name> (got "${value}"), ${examples}; ${set('vmImage')}`,
      });
      return z.NEVER;
    }
    const [project, name] = [match[1], match[2]];
    if (!APT_IMAGE_PROJECTS.includes(project) && !/debian|ubuntu/.test(name)) {
      ctx.addIssue({
        code: 'custom',
        message: `${project}/${name} is not a Debian or Ubuntu image: the VM's startup script installs Docker with apt-get; use one, ${examples}; ${set('vmImage')}`,
      });
      return z.NEVER;
    }
    if (/arm64|aarch64/.test(name)) {
      ctx.addIssue({
        code: 'custom',
        message: `${project}/${name} is an Arm image, but the app images are built for amd64 (x86-64); use an amd64 image, ${examples}; ${set('vmImage')}`,
      });
      return z.NEVER;
    }
    return `${project}/${name}`;
  });

/** A budget amount in the billing account's currency, to the cent (the API takes units and nanos). */
const amountSetting = (key: string, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return 0;
      const value = v.trim();
      if (!/^\d+(\.\d{1,2})?$/.test(value) || Number(value) > max) {
        ctx.addIssue({
          code: 'custom',
          message: `must be an amount from 0 to ${max} with at most 2 decimals, such as 50 or 12.50 (got "${v}"); ${set(key)}`,
        });
        return z.NEVER;
      }
      return Number(value);
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
    // Domain-scoped IDs (example.com:proj) take other forms in names this program builds: the registry path is
    // <region>-docker.pkg.dev/example.com/proj/..., service accounts are ...@proj.example.com.iam.gserviceaccount.com.
    .refine((v) => !/^[a-z0-9.-]+\.[a-z]+:/.test(v), {
      error:
        'is a domain-scoped project ID (<domain>:<project>), which this program does not support: its Artifact Registry and service account names take other forms; use a project whose ID has no domain prefix',
      abort: true,
    })
    .regex(new RegExp(`^${PROJECT_ID}$`), {
      error:
        'must be a GCP project ID (6 to 30 lowercase letters, digits, hyphens); see gcloud projects list',
    }),
  'gcp:zone': z
    .string()
    .regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, {
      error: 'must be a zone name such as us-central1-a or europe-west4-a',
    })
    .optional(),
  'gcp:region': z
    .string()
    .regex(/^[a-z]+-[a-z]+\d+$/, { error: 'must be a region name such as us-central1 or europe-west4' })
    .optional(),
  shape: enumSetting('shape', SHAPES, DEFAULTS.shape),
  machineType: textSetting(
    'machineType',
    DEFAULTS.machineType,
    // Every GCE name: predefined (e2-standard-4, c3-highcpu-4-lssd), shared-core (e2-medium, f1-micro) and
    // custom types (n2-custom-4-16384, custom-4-16384-ext). GCE itself says whether the zone offers it.
    /^(?=.{1,63}$)[a-z][a-z0-9]*(-[a-z0-9]+)+$/,
    'a machine type such as g2-standard-4, n1-standard-4, e2-standard-4 or e2-medium',
  ),
  gpu: enumSetting('gpu', GPU_TYPES, DEFAULTS.gpu),
  // 0: the count the machine type implies (g2 carries its own; T4: the fewest the N1 size allows; Cloud Run: 1)
  gpuCount: intSetting('gpuCount', DEFAULTS.gpuCount, 0, 8),
  spot: boolSetting('spot', DEFAULTS.spot),
  bootDiskGb: intSetting('bootDiskGb', DEFAULTS.bootDiskGb, 50, 2000),
  vmImage: vmImageSetting,
  // DNS names are case-insensitive and may end in the root's dot: both are dropped, as Cloud DNS shows them.
  domain: textSetting(
    'domain',
    DEFAULTS.domain,
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/,
    'a hostname such as app.example.com',
    (v) => v.toLowerCase().replace(/\.$/, ''),
  ),
  dnsZone: textSetting(
    'dnsZone',
    DEFAULTS.dnsZone,
    /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
    'the name (not the DNS name) of a Cloud DNS managed zone, see gcloud dns managed-zones list',
  ),
  ipHostSuffix: enumSetting('ipHostSuffix', IP_HOST_SUFFIXES, DEFAULTS.ipHostSuffix),
  sshSourceRanges: cidrListSetting('sshSourceRanges'),
  basicAuth: basicAuthSetting,
  apiReplicas: intSetting('apiReplicas', DEFAULTS.apiReplicas, 1, 8),
  apiWorkers: intSetting('apiWorkers', DEFAULTS.apiWorkers, 0, 64),
  registryKeepVersions: intSetting('registryKeepVersions', DEFAULTS.registryKeepVersions, 1, 100),
  readinessTimeoutMinutes: intSetting('readinessTimeoutMinutes', DEFAULTS.readinessTimeoutMinutes, 1, 120),
  cloudRunCpu: intSetting('cloudRunCpu', DEFAULTS.cloudRunCpu, 1, 8),
  cloudRunMemoryGib: intSetting('cloudRunMemoryGib', DEFAULTS.cloudRunMemoryGib, 1, 32),
  minInstances: intSetting('minInstances', DEFAULTS.minInstances, 0, 10),
  maxInstances: intSetting('maxInstances', DEFAULTS.maxInstances, 1, 100),
  gpuZonalRedundancy: boolSetting('gpuZonalRedundancy', DEFAULTS.gpuZonalRedundancy),
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
  monthlyBudget: amountSetting('monthlyBudget', 1_000_000),
  // a week at most; under 10 minutes a VM could stop before its first boot has finished
  idleStopMinutes: intSetting('idleStopMinutes', DEFAULTS.idleStopMinutes, 0, 10_080),
});

type Parsed = z.output<typeof rawSchema>;
type Problem = { key: string; message: string };

/** The combinations GCE refuses, or that this program cannot serve, as problems keyed by setting. */
function crossChecks(c: Parsed): Problem[] {
  const problems: Problem[] = [];
  const zone = c['gcp:zone'];
  if (zone && c['gcp:region'] && c['gcp:region'] !== regionOf(zone)) {
    problems.push({
      key: 'gcp:region',
      message: `is "${c['gcp:region']}" but gcp:zone ${zone} is in ${regionOf(zone)}; set them to match`,
    });
  }
  problems.push(...(c.shape === 'cloud-run' ? cloudRunChecks(c) : vmChecks(c)));
  problems.push(...operateChecks(c));
  problems.push(...memoryChecks(c));
  if (c.dnsZone && !c.domain) {
    problems.push({
      key: 'dnsZone',
      message: `is set but domain is not; set the hostname too: pulumi config set domain app.example.com`,
    });
  }
  return problems;
}

/** The budget needs both its settings; the idle auto-stop needs time to boot, and a VM to stop. */
function operateChecks(c: Parsed): Problem[] {
  const problems: Problem[] = [];
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
  } else if (c.idleStopMinutes > 0 && c.shape === 'cloud-run') {
    problems.push({
      key: 'idleStopMinutes',
      message:
        'stops the single-vm shape only: Cloud Run already scales to zero when idle (minInstances 0); set it to 0',
    });
  }
  return problems;
}

/** The combinations Cloud Run refuses (GPU regions, CPU and memory pairs), or that make no sense. */
function cloudRunChecks(c: Parsed): Problem[] {
  const problems: Problem[] = [];
  const region = regionFor(c);
  if (!region) {
    problems.push({
      key: 'gcp:region',
      message: 'is not set; Cloud Run runs in a region: pulumi config set gcp:region us-central1',
    });
  }
  const cpu = c.cloudRunCpu;
  const memory = c.cloudRunMemoryGib;
  if (!(CLOUD_RUN_CPUS as readonly number[]).includes(cpu)) {
    problems.push({
      key: 'cloudRunCpu',
      message: `must be one of ${CLOUD_RUN_CPUS.join(', ')} (got ${cpu}); ${set('cloudRunCpu')}`,
    });
  } else {
    // Cloud Run's pairs: up to 4 GiB per vCPU for 1 and 2 vCPU, 4 per vCPU above, and a floor from 4 vCPU up.
    const maxMemory = { 1: 4, 2: 8, 4: 16, 6: 24, 8: 32 }[cpu] ?? 32;
    const minMemory = cpu >= 6 ? 4 : cpu === 4 ? 2 : 1;
    if (memory > maxMemory || memory < minMemory) {
      problems.push({
        key: 'cloudRunMemoryGib',
        message: `${cpu} vCPU take ${minMemory} to ${maxMemory} GiB on Cloud Run (got ${memory}); set cloudRunMemoryGib in that range or change cloudRunCpu`,
      });
    }
  }
  if (c.gpu === 'nvidia-tesla-t4') {
    problems.push({
      key: 'gpu',
      message: 'nvidia-tesla-t4 is not offered by Cloud Run; with shape cloud-run use gpu nvidia-l4 or none',
    });
  } else if (c.gpu === 'nvidia-l4') {
    if (region && !CLOUD_RUN_L4_REGIONS.includes(region)) {
      problems.push({
        key: 'gcp:region',
        message: `${region} has no Cloud Run L4 GPUs; use one of ${CLOUD_RUN_L4_REGIONS.join(', ')} (or gpu none)`,
      });
    }
    if (c.gpuCount > 1) {
      problems.push({
        key: 'gpuCount',
        message: `must be 1 (or unset) with shape cloud-run: an instance has one L4 (got ${c.gpuCount}); raise maxInstances instead`,
      });
    }
    if (cpu < CLOUD_RUN_GPU_MIN.cpu) {
      problems.push({
        key: 'cloudRunCpu',
        message: `an L4 needs at least ${CLOUD_RUN_GPU_MIN.cpu} vCPU (got ${cpu}); use one of 4, 6, 8`,
      });
    }
    if (memory < CLOUD_RUN_GPU_MIN.memoryGib) {
      problems.push({
        key: 'cloudRunMemoryGib',
        message: `an L4 needs at least ${CLOUD_RUN_GPU_MIN.memoryGib} GiB (got ${memory}); use 16 to 32`,
      });
    }
  } else if (c.gpuZonalRedundancy) {
    problems.push({
      key: 'gpuZonalRedundancy',
      message: 'applies only to GPU services; set gpu nvidia-l4 or gpuZonalRedundancy false',
    });
  }
  if (c.minInstances > c.maxInstances) {
    problems.push({
      key: 'minInstances',
      message: `is ${c.minInstances}, above maxInstances ${c.maxInstances}; lower it or raise maxInstances`,
    });
  }
  return problems;
}

const fitsT4 = (size: { vcpus: number; memoryGb: number }, count: number): boolean => {
  const limit = T4_LIMITS[count];
  return limit !== undefined && size.vcpus <= limit.vcpus && size.memoryGb <= limit.memoryGb;
};

/**
 * The VM's GPU count: gpuCount when set, else what the machine type implies (a g2 carries its own L4s; an N1
 * gets the fewest T4s its size allows). Undefined when no T4 count allows the N1 size.
 */
function vmGpuCount(c: Parsed): number | undefined {
  if (c.gpuCount > 0) return c.gpuCount;
  if (c.gpu === 'nvidia-l4') return G2_L4_COUNT[c.machineType] ?? 1;
  const size = n1Size(c.machineType);
  return size ? T4_COUNTS.find((count) => fitsT4(size, count)) : 1;
}

/** N1 + T4: the count GCE allows, and the largest machine that count may attach to. */
function t4Checks(c: Parsed): Problem[] {
  if (c.gpuCount > 0 && !T4_COUNTS.includes(c.gpuCount)) {
    return [
      {
        key: 'gpuCount',
        message: `must be one of ${T4_COUNTS.join(', ')} for nvidia-tesla-t4 (got ${c.gpuCount})`,
      },
    ];
  }
  const size = n1Size(c.machineType);
  const count = vmGpuCount(c);
  if (!size || (count !== undefined && fitsT4(size, count))) return [];
  const limits = T4_COUNTS.map(
    (n) => `${n}: ${T4_LIMITS[n]?.vcpus} vCPU / ${T4_LIMITS[n]?.memoryGb} GB`,
  ).join(', ');
  const has = `${c.machineType} has ${size.vcpus} vCPU and ${Math.round(size.memoryGb)} GB`;
  return [
    count === undefined
      ? {
          key: 'machineType',
          message: `${has}, more than any T4 count allows (${limits}); use a smaller n1 type`,
        }
      : {
          key: 'gpuCount',
          message: `${has}, more than ${count} T4 GPU(s) allow (at most per count, ${limits}); use more GPUs or a smaller n1 type, or unset gpuCount to get the fewest that fit`,
        },
  ];
}

/** The combinations GCE refuses, or that this program cannot serve on a VM. */
function vmChecks(c: Parsed): Problem[] {
  const problems: Problem[] = [];
  if (!c['gcp:zone']) {
    problems.push({
      key: 'gcp:zone',
      message: 'is not set; run: pulumi config set gcp:zone <zone>, e.g. us-central1-a',
    });
  }
  const family = machineFamily(c.machineType);
  if (ARM_FAMILIES.includes(family)) {
    problems.push({
      key: 'machineType',
      message: `${c.machineType} is an Arm (arm64) machine type, but the boot image and the app's Docker images are built for x86-64 (amd64); use an x86 type such as e2-standard-4, n2-standard-4 or c3-standard-4`,
    });
  } else if (UNSUPPORTED_FAMILIES.includes(family)) {
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
    } else if (c.gpuCount > 0 && c.gpuCount !== l4s) {
      problems.push({
        key: 'gpuCount',
        message: `${c.machineType} carries exactly ${l4s} L4 GPU(s) (got ${c.gpuCount}); unset it (pulumi config rm gpuCount: the machine type sets the count) or pick the g2 size with ${c.gpuCount}`,
      });
    }
  } else if (c.gpu === 'nvidia-tesla-t4') {
    if (!isN1(c.machineType)) {
      problems.push({
        key: 'gpu',
        message: `nvidia-tesla-t4 attaches only to n1-* machine types (got machineType ${c.machineType}); use machineType n1-standard-4`,
      });
    } else {
      problems.push(...t4Checks(c));
    }
  } else if (family === 'g2') {
    problems.push({
      key: 'gpu',
      message: `is none but ${c.machineType} always carries an L4; use gpu nvidia-l4, or a CPU machine type such as e2-standard-4`,
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

/** The combinations GCE refuses become issues on their key; only then is the result shaped. */
const configSchema = rawSchema.transform((c, ctx) => {
  const problems = crossChecks(c);
  for (const p of problems) ctx.addIssue({ code: 'custom', path: [p.key], message: p.message });
  return problems.length > 0 ? z.NEVER : toDeployConfig(c);
});

/** What the program deploys: validated settings with defaults applied, derived from the schema. */
export type DeployConfig = z.output<typeof configSchema>;
/** The settings of the single-vm shape. */
export type SingleVmConfig = Extract<DeployConfig, { shape: 'single-vm' }>;
/** The settings of the cloud-run shape. */
export type CloudRunConfig = Extract<DeployConfig, { shape: 'cloud-run' }>;

/** Settings both shapes use. */
function commonConfig(c: Parsed) {
  return {
    project: c['gcp:project'],
    region: regionFor(c) ?? '',
    /** The public hostname; undefined means the shape's own name (sslip.io for the VM, run.app for Cloud Run). */
    ...(c.domain && { domain: c.domain }),
    /** Existing Cloud DNS managed zone that gets the A record for `domain`. */
    ...(c.dnsZone && { dnsZone: c.dnsZone }),
    /** Plain credentials from the secret `basicAuth`; the program keeps everything derived from them secret. */
    ...(c.basicAuth && { basicAuth: c.basicAuth }),
    /** Inference workers per API instance; undefined lets the shape pick (one per vCPU). */
    ...(c.apiWorkers > 0 && { apiWorkers: c.apiWorkers }),
    registryKeepVersions: c.registryKeepVersions,
    readinessTimeoutMinutes: c.readinessTimeoutMinutes,
    /** Where alert (and budget) e-mails go; undefined: no alert policies. */
    ...(c.alertEmail && { alertEmail: c.alertEmail }),
    /** A monthly Cloud Billing budget for the project. */
    ...(c.billingAccount && { budget: { billingAccount: c.billingAccount, monthlyAmount: c.monthlyBudget } }),
  };
}

/** Shapes the validated values; the checks above guarantee what the casts and fallbacks assume. */
function toDeployConfig(c: Parsed) {
  if (c.shape === 'cloud-run') {
    return {
      shape: 'cloud-run' as const,
      ...commonConfig(c),
      /** The API's GPU; undefined for a CPU-only service. */
      ...(c.gpu === 'nvidia-l4' && { gpu: { type: 'nvidia-l4' as const, count: 1 } }),
      cpu: c.cloudRunCpu,
      memoryGib: c.cloudRunMemoryGib,
      minInstances: c.minInstances,
      maxInstances: c.maxInstances,
      gpuZonalRedundancy: c.gpuZonalRedundancy,
    };
  }
  const apiMemory = vmApiMemoryMiB(c);
  return {
    shape: 'single-vm' as const,
    ...commonConfig(c),
    zone: c['gcp:zone'] ?? '',
    machineType: c.machineType,
    /** The GPU attached to the VM; undefined for a CPU-only VM. */
    ...(c.gpu !== 'none' && { gpu: { type: c.gpu, count: vmGpuCount(c) ?? 1 } }),
    spot: c.spot,
    bootDiskGb: c.bootDiskGb,
    vmImage: c.vmImage,
    sshSourceRanges: c.sshSourceRanges,
    /** The IP-in-the-name DNS service that gives the VM a hostname when there is no domain. */
    ipHostSuffix: c.ipHostSuffix,
    apiReplicas: c.apiReplicas,
    /** Each API container's memory limit (API_MEM_LIMIT); undefined: the compose default. */
    ...(apiMemory !== undefined && { apiMemoryMiB: apiMemory }),
    /** The VM powers itself off after this many minutes without a prediction; undefined: never. */
    ...(c.idleStopMinutes > 0 && { idleStopMinutes: c.idleStopMinutes }),
  };
}

/**
 * The API's memory limit on the VM: what its workers need (app/api/src/memory-budget.ts), the workers being
 * apiWorkers or one per vCPU (the API's default). Undefined for an unknown machine type.
 */
function vmApiMemoryMiB(c: Parsed): number | undefined {
  const size = machineSize(c.machineType);
  return size && apiMemoryMiB(c.apiWorkers || size.vcpus);
}

/** The API's replicas must fit the VM's memory, twice over: a rollout starts the new ones next to the old. */
function memoryChecks(c: Parsed): Problem[] {
  if (c.shape === 'cloud-run') {
    const workers = c.apiWorkers || c.cloudRunCpu;
    const need = apiMemoryMiB(workers);
    if (need <= c.cloudRunMemoryGib * 1024) return [];
    return [
      {
        key: c.apiWorkers ? 'apiWorkers' : 'cloudRunMemoryGib',
        message: `${workers} API workers need ~${(need / 1024).toFixed(1)} GiB (${MEMORY_BUDGET.baseMiB} MiB + ${MEMORY_BUDGET.perWorkerMiB} MiB per worker), more than cloudRunMemoryGib ${c.cloudRunMemoryGib}; lower apiWorkers or raise cloudRunMemoryGib`,
      },
    ];
  }
  const size = machineSize(c.machineType);
  const perReplica = vmApiMemoryMiB(c);
  if (!size || perReplica === undefined) return [];
  const need = 2 * c.apiReplicas * perReplica + VM_RESERVED_MIB;
  const has = size.memoryGb * 1024;
  if (need <= has) return [];
  const workers = c.apiWorkers || size.vcpus;
  return [
    {
      key: c.apiWorkers ? 'apiWorkers' : c.apiReplicas > 1 ? 'apiReplicas' : 'machineType',
      message: `${c.machineType} has ${size.memoryGb} GB; ${c.apiReplicas} API replica(s) of ${workers} worker(s) need ${perReplica} MiB each (${MEMORY_BUDGET.baseMiB} MiB + ${MEMORY_BUDGET.perWorkerMiB} MiB per worker), twice during a rollout, plus ${VM_RESERVED_MIB} MiB for the rest of the VM: ${Math.ceil(need / 1024)} GB in all. Lower apiWorkers or apiReplicas, or use a machine type with more memory`,
    },
  ];
}

/** Validates raw config values; throws a ConfigError listing every problem, each naming its key. */
export function parseConfig(raw: RawConfig): DeployConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        key: String(issue.path[0] ?? '(config)'),
        message: issue.message,
      })),
    );
  }
  return result.data;
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
