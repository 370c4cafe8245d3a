// Config validation: defaults, each bad value and refused combination with its message, the Pulumi.yaml
// declarations kept equal to the code's defaults, and loading through Pulumi's config API.
import { readFileSync } from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { apiMemoryMiB } from '../../app/api/src/memory-budget.js';
import { moneyOf } from '../components/budget.js';
import {
  ConfigError,
  DEFAULTS,
  ipv4Coverage,
  loadConfig,
  machineSize,
  PROJECT_KEYS,
  parseConfig,
  type RawConfig,
  type SingleVmConfig,
} from '../config.js';
import { installMocks } from './mocks.js';

const BASE: RawConfig = { 'gcp:project': 'student-proj-1', 'gcp:zone': 'us-central1-a' };
const root = new URL('../../', import.meta.url);

function vmConfig(raw: RawConfig): SingleVmConfig {
  const c = parseConfig(raw);
  if (c.shape !== 'single-vm') throw new Error(`expected single-vm, got ${c.shape}`);
  return c;
}

function problemsOf(raw: RawConfig): string[] {
  try {
    parseConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.key}: ${p.message}`);
  }
  throw new Error('expected the configuration to be rejected');
}

describe('parseConfig', () => {
  it('defaults to one L4 on g2-standard-4 with the IAP SSH range and a 100 GB disk', () => {
    expect(parseConfig(BASE)).toEqual({
      shape: 'single-vm',
      project: 'student-proj-1',
      region: 'us-central1',
      zone: 'us-central1-a',
      machineType: 'g2-standard-4',
      gpu: { type: 'nvidia-l4', count: 1 },
      spot: false,
      bootDiskGb: 100,
      vmImage: 'ubuntu-os-accelerator-images/ubuntu-accelerator-2404-amd64-with-nvidia-580',
      sshSourceRanges: ['35.235.240.0/20'],
      ipHostSuffix: 'sslip.io',
      apiReplicas: 1,
      // 4 workers (one per vCPU) of app/api/src/memory-budget.ts: 384 + 4 × 256 MiB
      apiMemoryMiB: 1408,
      registryKeepVersions: 5,
      readinessTimeoutMinutes: 20,
    });
  });

  it('accepts CPU-only, T4, spot, a domain with a zone, basic auth and tuning', () => {
    const c = vmConfig({
      ...BASE,
      'gcp:region': 'us-central1',
      machineType: 'n1-standard-8',
      gpu: 'nvidia-tesla-t4',
      gpuCount: '2',
      spot: 'true',
      domain: 'ocr.example.com',
      dnsZone: 'example-zone',
      basicAuth: 'student:s3cret-pass:with-colon',
      apiReplicas: '2',
      apiWorkers: '4',
      sshSourceRanges: '["35.235.240.0/20","198.51.100.7/32"]',
    });
    expect(c.gpu).toEqual({ type: 'nvidia-tesla-t4', count: 2 });
    expect(c.spot).toBe(true);
    expect(c.domain).toBe('ocr.example.com');
    expect(c.dnsZone).toBe('example-zone');
    expect(c.basicAuth).toEqual({ user: 'student', password: 's3cret-pass:with-colon' });
    expect(c.apiWorkers).toBe(4);
    expect(c.sshSourceRanges).toEqual(['35.235.240.0/20', '198.51.100.7/32']);
    const cpu = parseConfig({ ...BASE, machineType: 'e2-standard-4', gpu: 'none' });
    expect(cpu.gpu).toBeUndefined();
    expect(parseConfig({ ...BASE, machineType: 'g2-standard-24', gpuCount: '2' }).gpu).toEqual({
      type: 'nvidia-l4',
      count: 2,
    });
  });

  it('accepts every kind of GCE machine type name, and checks only the GPU rules against it', () => {
    for (const machineType of [
      'e2-medium',
      'f1-micro',
      'g1-small',
      'e2-standard-4',
      'n2-custom-4-16384',
      'n2-custom-4-16384-ext',
      'custom-4-16384',
      'c3-highcpu-4-lssd',
      'm3-ultramem-32',
    ]) {
      expect(vmConfig({ ...BASE, machineType, gpu: 'none' }).machineType).toBe(machineType);
    }
    // an N1 custom type takes T4s like n1-standard-*
    const t4 = parseConfig({ ...BASE, machineType: 'custom-4-16384', gpu: 'nvidia-tesla-t4' });
    expect(t4.gpu).toEqual({ type: 'nvidia-tesla-t4', count: 1 });
    for (const machineType of ['E2-medium', 'e2', 'e2-', 'e2--medium', 'e2_medium', `e2-${'x'.repeat(61)}`]) {
      expect(() => parseConfig({ ...BASE, machineType, gpu: 'none' }), machineType).toThrow(/machineType/);
    }
  });

  it('sizes the API memory limit by the workers the machine runs: one per vCPU, or apiWorkers', () => {
    expect(machineSize('g2-standard-8')).toEqual({ vcpus: 8, memoryGb: 32 });
    expect(machineSize('e2-highmem-4')).toEqual({ vcpus: 4, memoryGb: 32 });
    expect(machineSize('c3-highcpu-4-lssd')).toEqual({ vcpus: 4, memoryGb: 8 });
    expect(machineSize('n2-highcpu-16')).toEqual({ vcpus: 16, memoryGb: 16 });
    expect(machineSize('n1-standard-8')).toEqual({ vcpus: 8, memoryGb: 30 });
    expect(machineSize('custom-4-16384')).toEqual({ vcpus: 4, memoryGb: 16 });
    expect(machineSize('e2-medium')).toEqual({ vcpus: 2, memoryGb: 4 });
    expect(machineSize('m3-ultramem-32')).toBeUndefined();
    // 8 workers need more than compose's 2g default: the deployment says so
    expect(vmConfig({ ...BASE, machineType: 'g2-standard-8' }).apiMemoryMiB).toBe(apiMemoryMiB(8));
    expect(apiMemoryMiB(8)).toBeGreaterThan(2048);
    expect(vmConfig({ ...BASE, machineType: 'g2-standard-8', apiWorkers: '2' }).apiMemoryMiB).toBe(896);
    // a type this table does not know: the compose default, and the API sizes its workers by it
    expect(vmConfig({ ...BASE, machineType: 'm3-ultramem-32', gpu: 'none' })).not.toHaveProperty(
      'apiMemoryMiB',
    );
  });

  it('refuses API replicas and workers that the machine or the Cloud Run instance cannot hold', () => {
    expect(problemsOf({ ...BASE, machineType: 'e2-micro', gpu: 'none' })).toEqual([
      expect.stringMatching(
        /^machineType: e2-micro has 1 GB; 1 API replica\(s\) of 2 worker\(s\) need 896 MiB each .* 3 GB in all/,
      ),
    ]);
    expect(problemsOf({ ...BASE, machineType: 'e2-standard-4', gpu: 'none', apiReplicas: '8' })).toEqual([
      expect.stringMatching(/^apiReplicas: e2-standard-4 has 16 GB; 8 API replica\(s\) of 4 worker\(s\)/),
    ]);
    expect(problemsOf({ ...BASE, machineType: 'e2-standard-4', gpu: 'none', apiWorkers: '40' })).toEqual([
      expect.stringMatching(/^apiWorkers: e2-standard-4 has 16 GB; 1 API replica\(s\) of 40 worker\(s\)/),
    ]);
    // twice the API during a rollout, plus the rest: 2 × 1408 + 1024 MiB fits 16 GB with room
    expect(() =>
      vmConfig({ ...BASE, machineType: 'e2-standard-4', gpu: 'none', apiReplicas: '4' }),
    ).not.toThrow();
    const run = { ...BASE, 'gcp:region': 'us-central1', shape: 'cloud-run', gpu: 'none' } as const;
    expect(problemsOf({ ...run, cloudRunCpu: '2', cloudRunMemoryGib: '2', apiWorkers: '8' })).toEqual([
      expect.stringMatching(/^apiWorkers: 8 API workers need ~2\.4 GiB .* more than cloudRunMemoryGib 2/),
    ]);
    expect(() => parseConfig({ ...run, cloudRunCpu: '1', cloudRunMemoryGib: '1' })).not.toThrow();
  });

  const cases: [string, RawConfig, RegExp][] = [
    [
      'missing project',
      { 'gcp:zone': 'us-central1-a' },
      /^gcp:project: is not set; run: pulumi config set gcp:project/,
    ],
    ['bad project', { ...BASE, 'gcp:project': 'My Project' }, /^gcp:project: must be a GCP project ID/],
    [
      'missing zone',
      { 'gcp:project': 'student-proj-1' },
      /^gcp:zone: is not set; run: pulumi config set gcp:zone/,
    ],
    [
      'bad zone',
      { ...BASE, 'gcp:zone': 'us-central1' },
      /^gcp:zone: must be a zone name such as us-central1-a/,
    ],
    [
      'region/zone mismatch',
      { ...BASE, 'gcp:region': 'europe-west4' },
      /^gcp:region: is "europe-west4" but gcp:zone us-central1-a is in us-central1/,
    ],
    [
      'unknown gpu',
      { ...BASE, gpu: 'a100' },
      /^gpu: must be one of nvidia-l4, nvidia-tesla-t4, none \(got "a100"\)/,
    ],
    ['unknown shape', { ...BASE, shape: 'k8s' }, /^shape: must be one of single-vm, cloud-run \(got "k8s"\)/],
    [
      'L4 on n1',
      { ...BASE, machineType: 'n1-standard-4' },
      /^gpu: nvidia-l4 needs a g2-standard-\* machine type \(got machineType n1-standard-4\)/,
    ],
    [
      'L4 on e2',
      { ...BASE, machineType: 'e2-standard-4' },
      /^gpu: nvidia-l4 needs a g2-standard-\* machine type/,
    ],
    [
      'T4 on g2',
      { ...BASE, gpu: 'nvidia-tesla-t4' },
      /^gpu: nvidia-tesla-t4 attaches only to n1-\* machine types \(got machineType g2-standard-4\)/,
    ],
    [
      'T4 on e2',
      { ...BASE, machineType: 'e2-standard-4', gpu: 'nvidia-tesla-t4' },
      /^gpu: nvidia-tesla-t4 attaches only to n1-\*/,
    ],
    ['g2 without a GPU', { ...BASE, gpu: 'none' }, /^gpu: is none but g2-standard-4 always carries an L4/],
    [
      'L4 count not what the g2 carries',
      { ...BASE, gpuCount: '2' },
      /^gpuCount: g2-standard-4 carries exactly 1 L4 GPU\(s\) \(got 2\); unset it \(pulumi config rm gpuCount/,
    ],
    [
      'unknown g2 size',
      { ...BASE, machineType: 'g2-standard-6' },
      /^machineType: g2-standard-6 is not a g2 machine type; use one of g2-standard-4/,
    ],
    [
      'T4 count',
      { ...BASE, machineType: 'n1-standard-4', gpu: 'nvidia-tesla-t4', gpuCount: '3' },
      /^gpuCount: must be one of 1, 2, 4 for nvidia-tesla-t4 \(got 3\)/,
    ],
    [
      'gpuCount not an integer',
      { ...BASE, gpuCount: 'one' },
      /^gpuCount: must be an integer from 0 to 8 \(got "one"\)/,
    ],
    [
      'unsupported family',
      { ...BASE, machineType: 'a2-highgpu-1g' },
      /^machineType: a2-highgpu-1g: the a2 family is not supported/,
    ],
    [
      'malformed machine type',
      { ...BASE, machineType: 'big' },
      /^machineType: must be a machine type such as g2-standard-4/,
    ],
    ['spot not boolean', { ...BASE, spot: 'yes' }, /^spot: must be true or false \(got "yes"\)/],
    [
      'unknown IP-name service',
      { ...BASE, ipHostSuffix: 'xip.io' },
      /^ipHostSuffix: must be one of sslip\.io, nip\.io \(got "xip\.io"\)/,
    ],
    [
      'disk too small',
      { ...BASE, bootDiskGb: '20' },
      /^bootDiskGb: must be an integer from 50 to 2000 \(got "20"\)/,
    ],
    [
      'bad image',
      { ...BASE, vmImage: 'Ubuntu 24.04' },
      /^vmImage: must be an image or image family as <project>\/<name> or projects\/<project>\/global\/images\/\[family\/\]<name> \(got "Ubuntu 24\.04"\)/,
    ],
    [
      'bad domain',
      { ...BASE, domain: 'https://ocr.example.com' },
      /^domain: must be a hostname such as app\.example\.com/,
    ],
    ['zone without domain', { ...BASE, dnsZone: 'example-zone' }, /^dnsZone: is set but domain is not/],
    [
      'bad zone name',
      { ...BASE, domain: 'a.example.com', dnsZone: 'example.com.' },
      /^dnsZone: must be the name \(not the DNS name\) of a Cloud DNS managed zone/,
    ],
    [
      'ssh from anywhere',
      { ...BASE, sshSourceRanges: '["0.0.0.0/0"]' },
      /^sshSourceRanges: "0\.0\.0\.0\/0" would open SSH to the whole internet/,
    ],
    [
      'ssh not a CIDR',
      { ...BASE, sshSourceRanges: '["10.0.0.300/8"]' },
      /^sshSourceRanges: "10\.0\.0\.300\/8" is not an IPv4 CIDR range/,
    ],
    [
      'ssh not a list',
      { ...BASE, sshSourceRanges: '35.235.240.0/20' },
      /^sshSourceRanges: must be a non-empty list of IPv4 CIDR ranges; set it with: pulumi config set --path/,
    ],
    [
      'basicAuth without a colon',
      { ...BASE, basicAuth: 'justapassword' },
      /^basicAuth: must be "<user>:<password>"/,
    ],
    [
      'basicAuth short password',
      { ...BASE, basicAuth: 'student:short' },
      /^basicAuth: the password must be at least 8 characters/,
    ],
    [
      'replicas out of range',
      { ...BASE, apiReplicas: '0' },
      /^apiReplicas: must be an integer from 1 to 8 \(got "0"\)/,
    ],
    ['workers out of range', { ...BASE, apiWorkers: '-1' }, /^apiWorkers: must be an integer from 0 to 64/],
    [
      'keep versions',
      { ...BASE, registryKeepVersions: '0' },
      /^registryKeepVersions: must be an integer from 1 to 100/,
    ],
    [
      'timeout',
      { ...BASE, readinessTimeoutMinutes: '0' },
      /^readinessTimeoutMinutes: must be an integer from 1 to 120/,
    ],
    ['a malformed alert e-mail', { ...BASE, alertEmail: 'me at example' }, /^alertEmail: must be one e-mail/],
    ['two alert e-mails', { ...BASE, alertEmail: 'a@x.com,b@x.com' }, /^alertEmail: must be one e-mail/],
    [
      'a malformed billing account',
      { ...BASE, billingAccount: '0123-4567', monthlyBudget: '50' },
      /^billingAccount: must be a billing account ID such as 012345-6789AB-CDEF01/,
    ],
    [
      'a billing account without an amount',
      { ...BASE, billingAccount: '012345-6789AB-CDEF01' },
      /^monthlyBudget: billingAccount is set but monthlyBudget is not/,
    ],
    [
      'an amount without a billing account',
      { ...BASE, monthlyBudget: '50' },
      /^billingAccount: monthlyBudget is set but billingAccount is not/,
    ],
    [
      'a negative budget',
      { ...BASE, monthlyBudget: '-5' },
      /^monthlyBudget: must be an amount from 0 to 1000000 with at most 2 decimals/,
    ],
    [
      'a 5-minute idle stop',
      { ...BASE, idleStopMinutes: '5' },
      /^idleStopMinutes: must be 0 \(off\) or at least 10/,
    ],
    [
      'an idle stop on Cloud Run',
      {
        ...BASE,
        shape: 'cloud-run',
        gpu: 'none',
        cloudRunCpu: '2',
        cloudRunMemoryGib: '4',
        idleStopMinutes: '60',
      },
      /^idleStopMinutes: stops the single-vm shape only/,
    ],
    ['a fractional idle stop', { ...BASE, idleStopMinutes: '90.5' }, /^idleStopMinutes: must be an integer/],
    // GCP's rules (cloud.google.com/compute/docs): Arm series, the N1 + T4 size table, image and project forms
    ...(['t2a-standard-1', 'c4a-standard-4-lssd', 'c4a-highmem-8', 'n4a-standard-4', 'a4x-highgpu-4g'].map(
      (machineType) => [
        `Arm machine type ${machineType}`,
        { ...BASE, machineType, gpu: 'none' },
        new RegExp(
          `^machineType: ${machineType} is an Arm \\(arm64\\) machine type, but the boot image and the app's Docker images are built for x86-64`,
        ),
      ],
    ) as [string, RawConfig, RegExp][]),
    [
      'n1-standard-96 with 1 T4 (1 T4: at most 48 vCPU)',
      { ...BASE, machineType: 'n1-standard-96', gpu: 'nvidia-tesla-t4', gpuCount: '1' },
      /^gpuCount: n1-standard-96 has 96 vCPU and 360 GB, more than 1 T4 GPU\(s\) allow \(at most per count, 1: 48 vCPU \/ 312 GB, 2: 48 vCPU \/ 312 GB, 4: 96 vCPU \/ 624 GB\)/,
    ],
    [
      'n1-standard-64 with 2 T4s',
      { ...BASE, machineType: 'n1-standard-64', gpu: 'nvidia-tesla-t4', gpuCount: '2' },
      /^gpuCount: n1-standard-64 has 64 vCPU and 240 GB, more than 2 T4 GPU\(s\) allow/,
    ],
    [
      'n1-highmem-64 (416 GB) with 2 T4s (at most 312 GB)',
      { ...BASE, machineType: 'n1-highmem-64', gpu: 'nvidia-tesla-t4', gpuCount: '2' },
      /^gpuCount: n1-highmem-64 has 64 vCPU and 416 GB, more than 2 T4/,
    ],
    [
      'an N1 custom type over 48 vCPU with 1 T4',
      { ...BASE, machineType: 'custom-50-65536', gpu: 'nvidia-tesla-t4', gpuCount: '1' },
      /^gpuCount: custom-50-65536 has 50 vCPU and 64 GB, more than 1 T4/,
    ],
    [
      'an N1 custom type too large for any T4 count',
      { ...BASE, machineType: 'custom-96-655360', gpu: 'nvidia-tesla-t4' },
      /^machineType: custom-96-655360 has 96 vCPU and 640 GB, more than any T4 count allows/,
    ],
    [
      'a g2-standard-24 with an explicit gpuCount 1 (it carries 2)',
      { ...BASE, machineType: 'g2-standard-24', gpuCount: '1' },
      /^gpuCount: g2-standard-24 carries exactly 2 L4 GPU\(s\) \(got 1\)/,
    ],
    [
      'SSH from two halves of the internet',
      { ...BASE, sshSourceRanges: '["0.0.0.0/1","128.0.0.0/1"]' },
      /^sshSourceRanges: "0\.0\.0\.0\/1" would open SSH to a large part of the internet: a range may be at most a \/8/,
    ],
    [
      'SSH from a /7',
      { ...BASE, sshSourceRanges: '["2.0.0.0/7"]' },
      /^sshSourceRanges: "2\.0\.0\.0\/7" would open SSH .* at most a \/8/,
    ],
    [
      'SSH from two /8s (twice the allowed coverage)',
      { ...BASE, sshSourceRanges: '["10.0.0.0/8","11.0.0.0/8"]' },
      /^sshSourceRanges: the ranges together cover 33,554,432 addresses, more than one \/8 \(16,777,216\)/,
    ],
    [
      'Container-Optimized OS (no apt)',
      { ...BASE, vmImage: 'cos-cloud/cos-stable' },
      /^vmImage: cos-cloud\/cos-stable is not a Debian or Ubuntu image: the VM's startup script installs Docker with apt-get/,
    ],
    [
      'Rocky Linux in the resource-path form',
      { ...BASE, vmImage: 'projects/rocky-linux-cloud/global/images/family/rocky-linux-9' },
      /^vmImage: rocky-linux-cloud\/rocky-linux-9 is not a Debian or Ubuntu image/,
    ],
    [
      'an Arm Ubuntu image',
      { ...BASE, vmImage: 'ubuntu-os-cloud/ubuntu-2404-lts-arm64' },
      /^vmImage: ubuntu-os-cloud\/ubuntu-2404-lts-arm64 is an Arm image, but the app images are built for amd64/,
    ],
    [
      'an image without its project',
      { ...BASE, vmImage: 'ubuntu-2404-lts-amd64' },
      /^vmImage: must be an image or image family as <project>\/<name>/,
    ],
    [
      'an image path with a zone in it',
      { ...BASE, vmImage: 'projects/debian-cloud/zones/us-central1-a/images/debian-12' },
      /^vmImage: must be an image or image family/,
    ],
    ['a domain with a space', { ...BASE, domain: 'ocr example.com' }, /^domain: must be a hostname/],
    ['a domain with an empty label', { ...BASE, domain: 'ocr..example.com' }, /^domain: must be a hostname/],
    ['a numeric TLD', { ...BASE, domain: 'ocr.example.123' }, /^domain: must be a hostname/],
    [
      'a budget with fractions of a cent',
      { ...BASE, billingAccount: '012345-6789AB-CDEF01', monthlyBudget: '12.345' },
      /^monthlyBudget: must be an amount from 0 to 1000000 with at most 2 decimals, such as 50 or 12\.50 \(got "12\.345"\)/,
    ],
    [
      'a budget in exponent notation',
      { ...BASE, billingAccount: '012345-6789AB-CDEF01', monthlyBudget: '1e3' },
      /^monthlyBudget: must be an amount/,
    ],
    [
      'a domain-scoped project ID',
      { ...BASE, 'gcp:project': 'example.com:student-proj' },
      /^gcp:project: is a domain-scoped project ID \(<domain>:<project>\), which this program does not support: its Artifact Registry and service account names take other forms/,
    ],
  ];

  it('accepts the operate settings: alert e-mail, budget, idle stop', () => {
    const c = parseConfig({
      ...BASE,
      alertEmail: 'teacher@example.edu',
      billingAccount: '012345-6789AB-CDEF01',
      monthlyBudget: '50',
      idleStopMinutes: '120',
    });
    expect(c).toMatchObject({
      alertEmail: 'teacher@example.edu',
      budget: { billingAccount: '012345-6789AB-CDEF01', monthlyAmount: 50 },
      idleStopMinutes: 120,
    });
    expect('idleStopMinutes' in parseConfig({ ...BASE, idleStopMinutes: '0' })).toBe(false);
  });
  it.each(cases)('rejects %s with a message naming the key', (_label, raw, message) => {
    const problems = problemsOf(raw);
    expect(
      problems.some((p) => message.test(p)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('reports every problem at once, and never echoes the basicAuth secret', () => {
    let error: unknown;
    try {
      parseConfig({ ...BASE, gpu: 'x', spot: 'maybe', basicAuth: 'user:short1' });
    } catch (err) {
      error = err;
    }
    const message = (error as Error).message;
    expect(message).toMatch(/^Invalid stack configuration \(nothing was changed\):/);
    expect(message).toContain('  - gpu: ');
    expect(message).toContain('  - spot: ');
    expect(message).toContain('  - basicAuth: ');
    expect(message).not.toContain('short1');
  });
});

describe("parseConfig, GCP's rules for values it accepts", () => {
  it('derives the GPU count from the machine type: a g2 carries its L4s, an N1 gets the fewest T4s that fit', () => {
    const gpuOf = (raw: RawConfig) => vmConfig({ ...BASE, ...raw }).gpu;
    for (const [machineType, count] of [
      ['g2-standard-4', 1],
      ['g2-standard-24', 2],
      ['g2-standard-48', 4],
      ['g2-standard-96', 8],
    ] as const) {
      expect(gpuOf({ machineType }), machineType).toEqual({ type: 'nvidia-l4', count });
      expect(gpuOf({ machineType, gpuCount: '0' }), machineType).toEqual({ type: 'nvidia-l4', count });
    }
    const t4 = { gpu: 'nvidia-tesla-t4' };
    expect(gpuOf({ ...t4, machineType: 'n1-standard-4' })).toEqual({ type: 'nvidia-tesla-t4', count: 1 });
    // the edges of GCP's table: 48 vCPU / 312 GB take 1 T4; 64 and 96 vCPU need 4
    expect(gpuOf({ ...t4, machineType: 'custom-48-319488' })).toEqual({ type: 'nvidia-tesla-t4', count: 1 });
    expect(gpuOf({ ...t4, machineType: 'n1-standard-64' })).toEqual({ type: 'nvidia-tesla-t4', count: 4 });
    expect(gpuOf({ ...t4, machineType: 'n1-standard-96' })).toEqual({ type: 'nvidia-tesla-t4', count: 4 });
    expect(gpuOf({ ...t4, machineType: 'n1-highmem-32', gpuCount: '2' })).toEqual({
      type: 'nvidia-tesla-t4',
      count: 2,
    });
    expect(gpuOf({ ...t4, machineType: 'n1-standard-96', gpuCount: '4' })).toEqual({
      type: 'nvidia-tesla-t4',
      count: 4,
    });
    // one past the 1-T4 limit, in memory only
    expect(problemsOf({ ...BASE, ...t4, machineType: 'custom-48-320512', gpuCount: '1' })).toEqual([
      expect.stringMatching(/^gpuCount: custom-48-320512 has 48 vCPU and 313 GB, more than 1 T4/),
    ]);
    expect(
      parseConfig({ ...BASE, shape: 'cloud-run', 'gcp:zone': undefined, 'gcp:region': 'us-central1' }).gpu,
    ).toEqual({
      type: 'nvidia-l4',
      count: 1,
    });
  });

  it('accepts x86 Debian and Ubuntu images in every form GCE documents, normalised to <project>/<name>', () => {
    for (const [vmImage, normalised] of [
      ['ubuntu-os-cloud/ubuntu-2404-lts-amd64', 'ubuntu-os-cloud/ubuntu-2404-lts-amd64'],
      ['debian-cloud/debian-12', 'debian-cloud/debian-12'],
      ['projects/debian-cloud/global/images/family/debian-12', 'debian-cloud/debian-12'],
      [
        'projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20250130',
        'ubuntu-os-cloud/ubuntu-2404-noble-amd64-v20250130',
      ],
      [
        'https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/family/debian-12',
        'debian-cloud/debian-12',
      ],
      ['ubuntu-os-pro-cloud/ubuntu-pro-2204-lts', 'ubuntu-os-pro-cloud/ubuntu-pro-2204-lts'],
      // Deep Learning VM images and the user's own images, when their name says Debian or Ubuntu
      [
        'deeplearning-platform-release/common-cu124-debian-11-py310',
        'deeplearning-platform-release/common-cu124-debian-11-py310',
      ],
      ['student-proj-1/my-ubuntu-golden', 'student-proj-1/my-ubuntu-golden'],
    ]) {
      expect(vmConfig({ ...BASE, vmImage }).vmImage, vmImage).toBe(normalised);
    }
  });

  it('lowercases the domain and drops its trailing dot; accepts punycode labels and TLDs', () => {
    const domainOf = (domain: string) => parseConfig({ ...BASE, domain }).domain;
    expect(domainOf('OCR.Example.COM.')).toBe('ocr.example.com');
    expect(domainOf(' app.example.com ')).toBe('app.example.com');
    expect(domainOf('ocr.xn--p1ai')).toBe('ocr.xn--p1ai');
    expect(domainOf('xn--bcher-kva.example.xn--vermgensberatung-pwb')).toBe(
      'xn--bcher-kva.example.xn--vermgensberatung-pwb',
    );
  });

  it('accepts a budget to the cent, and the budget gets it as units and nanos', () => {
    const budgetOf = (monthlyBudget: string) =>
      parseConfig({ ...BASE, billingAccount: '012345-6789AB-CDEF01', monthlyBudget }).budget;
    expect(budgetOf('12.5')).toEqual({ billingAccount: '012345-6789AB-CDEF01', monthlyAmount: 12.5 });
    expect(budgetOf('0.99')?.monthlyAmount).toBe(0.99);
    expect(moneyOf(12.5)).toEqual({ units: '12', nanos: 500_000_000 });
    expect(moneyOf(0.99)).toEqual({ units: '0', nanos: 990_000_000 });
    expect(moneyOf(1_000_000)).toEqual({ units: '1000000' });
    // 0.1 + 0.2-style binary fractions still land on the cent
    expect(moneyOf(19.99)).toEqual({ units: '19', nanos: 990_000_000 });
  });

  it('accepts SSH ranges up to one /8 in total, overlaps counted once', () => {
    const ranges = ['10.0.0.0/9', '10.1.0.0/16', '35.235.240.0/20'];
    expect(vmConfig({ ...BASE, sshSourceRanges: JSON.stringify(ranges) }).sshSourceRanges).toEqual(ranges);
    expect(ipv4Coverage(['10.0.0.0/8', '10.1.0.0/16'])).toBe(2 ** 24);
    expect(ipv4Coverage(['198.51.100.7/32', '198.51.100.7/32', '10.0.0.1/31'])).toBe(3);
    // not canonical (host bits set): GCE takes the network the prefix names
    expect(ipv4Coverage(['10.9.9.9/8'])).toBe(2 ** 24);
    expect(problemsOf({ ...BASE, sshSourceRanges: '["10.0.0.0/8","11.0.0.0/9"]' })).toEqual([
      expect.stringMatching(/^sshSourceRanges: the ranges together cover 25,165,824 addresses/),
    ]);
  });
});

describe('parseConfig, shape cloud-run', () => {
  const RUN: RawConfig = {
    'gcp:project': 'student-proj-1',
    'gcp:region': 'europe-west4',
    shape: 'cloud-run',
  };

  it('defaults to an L4 on 4 vCPU and 16 GiB, scaling from 0 to 3 instances, without zonal redundancy', () => {
    expect(parseConfig(RUN)).toEqual({
      shape: 'cloud-run',
      project: 'student-proj-1',
      region: 'europe-west4',
      gpu: { type: 'nvidia-l4', count: 1 },
      cpu: 4,
      memoryGib: 16,
      minInstances: 0,
      maxInstances: 3,
      gpuZonalRedundancy: false,
      registryKeepVersions: 5,
      readinessTimeoutMinutes: 20,
    });
  });

  it('takes the region from the zone, ignores VM-only settings, and accepts CPU only with a small instance', () => {
    const fromZone = parseConfig({
      ...RUN,
      'gcp:region': undefined,
      'gcp:zone': 'us-central1-a',
      spot: 'true',
    });
    expect(fromZone).toMatchObject({ shape: 'cloud-run', region: 'us-central1' });
    expect(fromZone).not.toHaveProperty('spot');
    const cpu = parseConfig({
      ...RUN,
      'gcp:region': 'us-west1',
      gpu: 'none',
      cloudRunCpu: '2',
      cloudRunMemoryGib: '4',
      minInstances: '1',
      maxInstances: '10',
      apiWorkers: '2',
      basicAuth: 'student:long-enough',
      domain: 'ocr.example.com',
    });
    expect(cpu).toMatchObject({ cpu: 2, memoryGib: 4, minInstances: 1, maxInstances: 10, apiWorkers: 2 });
    expect(cpu).not.toHaveProperty('gpu');
  });

  const cases: [string, RawConfig, RegExp][] = [
    ['no region', { ...RUN, 'gcp:region': undefined }, /^gcp:region: is not set; Cloud Run runs in a region/],
    [
      'T4',
      { ...RUN, gpu: 'nvidia-tesla-t4' },
      /^gpu: nvidia-tesla-t4 is not offered by Cloud Run; .*nvidia-l4 or none/,
    ],
    [
      'L4 in a region without Cloud Run GPUs',
      { ...RUN, 'gcp:region': 'us-west1' },
      /^gcp:region: us-west1 has no Cloud Run L4 GPUs; use one of us-central1, us-east4, europe-west1, europe-west4, asia-southeast1/,
    ],
    [
      'L4 with 2 vCPU',
      { ...RUN, cloudRunCpu: '2', cloudRunMemoryGib: '8' },
      /^cloudRunCpu: an L4 needs at least 4 vCPU \(got 2\); use one of 4, 6, 8/,
    ],
    [
      'L4 with 8 GiB',
      { ...RUN, cloudRunMemoryGib: '8' },
      /^cloudRunMemoryGib: an L4 needs at least 16 GiB \(got 8\)/,
    ],
    ['two L4s', { ...RUN, gpuCount: '2' }, /^gpuCount: must be 1 \(or unset\) with shape cloud-run/],
    [
      '3 vCPU',
      { ...RUN, gpu: 'none', cloudRunCpu: '3' },
      /^cloudRunCpu: must be one of 1, 2, 4, 6, 8 \(got 3\)/,
    ],
    [
      'too much memory for 2 vCPU',
      { ...RUN, gpu: 'none', cloudRunCpu: '2', cloudRunMemoryGib: '10' },
      /^cloudRunMemoryGib: 2 vCPU take 1 to 8 GiB on Cloud Run \(got 10\)/,
    ],
    [
      'too little memory for 8 vCPU',
      { ...RUN, gpu: 'none', cloudRunCpu: '8', cloudRunMemoryGib: '2' },
      /^cloudRunMemoryGib: 8 vCPU take 4 to 32 GiB on Cloud Run \(got 2\)/,
    ],
    [
      'zonal redundancy without a GPU',
      { ...RUN, gpu: 'none', cloudRunMemoryGib: '8', gpuZonalRedundancy: 'true' },
      /^gpuZonalRedundancy: applies only to GPU services/,
    ],
    [
      'min above max',
      { ...RUN, minInstances: '4', maxInstances: '2' },
      /^minInstances: is 4, above maxInstances 2/,
    ],
    ['max out of range', { ...RUN, maxInstances: '0' }, /^maxInstances: must be an integer from 1 to 100/],
    [
      'bad region',
      { ...RUN, 'gcp:region': 'Iowa' },
      /^gcp:region: must be a region name such as us-central1/,
    ],
  ];
  it.each(cases)('rejects %s, naming the key and the allowed values', (_label, raw, message) => {
    const problems = problemsOf(raw);
    expect(
      problems.some((p) => message.test(p)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('the single-vm shape still needs a zone', () => {
    expect(problemsOf({ 'gcp:project': 'student-proj-1', 'gcp:region': 'us-central1' })).toEqual([
      'gcp:zone: is not set; run: pulumi config set gcp:zone <zone>, e.g. us-central1-a',
    ]);
  });
});

describe('Pulumi.yaml and Pulumi.dev.yaml', () => {
  const project = parse(readFileSync(new URL('Pulumi.yaml', root), 'utf8'));

  it('declares every setting with its type, description and the code default', () => {
    expect(project.name).toBe('modelship');
    expect(project.main).toBe('infra/index.ts');
    expect(Object.keys(project.config).sort()).toEqual([...PROJECT_KEYS].sort());
    for (const key of PROJECT_KEYS) {
      const decl = project.config[key];
      expect(decl.type, key).toMatch(/^(string|integer|boolean|array)$/);
      expect(decl.description, key).toBeTruthy();
      // Pulumi checks a `secret: true` key's stack value is encrypted, a project default included, so a
      // secret key has no default there (unset means off).
      if (decl.secret) expect(decl.default, key).toBeUndefined();
      else expect(decl.default, key).toEqual(DEFAULTS[key]);
    }
  });

  it('declares basicAuth secret: a plain `pulumi config set basicAuth ...` is refused', () => {
    expect(project.config.basicAuth.secret).toBe(true);
    expect(DEFAULTS.basicAuth).toBe('');
  });

  it('runs the TypeScript program with tsx (ESM), not the bundled ts-node', () => {
    expect(project.runtime).toEqual({
      name: 'nodejs',
      options: { typescript: false, nodeargs: '--import tsx', packagemanager: 'npm' },
    });
  });

  it('the dev stack is valid once gcp:project is set, with an L4 in a zone that has them', () => {
    const dev = parse(readFileSync(new URL('Pulumi.dev.yaml', root), 'utf8')).config as Record<
      string,
      unknown
    >;
    expect(dev['gcp:project']).toBeUndefined();
    const raw: RawConfig = { 'gcp:project': 'student-proj-1' };
    for (const [key, value] of Object.entries(dev)) {
      (raw as Record<string, string>)[key.replace(/^modelship:/, '')] = String(value);
    }
    const c = parseConfig(raw);
    expect(c).toMatchObject({
      zone: 'us-central1-a',
      machineType: 'g2-standard-4',
      gpu: { type: 'nvidia-l4', count: 1 },
    });
    // `pulumi config set shape cloud-run` is all it takes to switch: the dev stack's settings fit both shapes.
    expect(parseConfig({ ...raw, shape: 'cloud-run' })).toMatchObject({
      shape: 'cloud-run',
      region: 'us-central1',
      gpu: { type: 'nvidia-l4', count: 1 },
    });
  });
});

describe('loadConfig', () => {
  beforeEach(() => installMocks());

  it('reads the project and gcp namespaces through Pulumi config', () => {
    pulumi.runtime.setAllConfig(
      {
        'gcp:project': 'student-proj-1',
        'gcp:zone': 'europe-west4-a',
        'modelship:machineType': 'n1-standard-4',
        'modelship:gpu': 'nvidia-tesla-t4',
        'modelship:sshSourceRanges': '["35.235.240.0/20"]',
        'modelship:basicAuth': 'student:long-enough-password',
      },
      ['modelship:basicAuth'],
    );
    const c = loadConfig();
    expect(c).toMatchObject({
      project: 'student-proj-1',
      region: 'europe-west4',
      machineType: 'n1-standard-4',
      gpu: { type: 'nvidia-tesla-t4', count: 1 },
      basicAuth: { user: 'student', password: 'long-enough-password' },
    });
  });

  it('fails before any resource when a value is bad', () => {
    pulumi.runtime.setAllConfig({
      'gcp:project': 'student-proj-1',
      'gcp:zone': 'us-central1-a',
      'modelship:gpu': 'h100',
    });
    expect(() => loadConfig()).toThrow(/gpu: must be one of nvidia-l4, nvidia-tesla-t4, none \(got "h100"\)/);
  });
});
