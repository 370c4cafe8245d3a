// A small, dated price table for the `hourlyCostEstimate` stack output. The numbers are Compute Engine
// on-demand list prices in us-central1 (USD per hour) as published on
// https://cloud.google.com/compute/vm-instance-pricing and https://cloud.google.com/compute/gpus-pricing;
// most other regions cost 5-25% more. It is an estimate for students deciding whether to leave a VM up,
// not a bill: egress, Artifact Registry storage and logging are extra (and small for a demo).
import { type CloudRunConfig, isN1, type SingleVmConfig } from './config.js';

export const PRICE_DATE = '2026-11';
export const PRICE_REGION = 'us-central1';

/** Machine types, per hour. g2 prices include the L4 GPU(s) that come with the machine. */
export const MACHINE_PRICES: Record<string, number> = {
  'e2-standard-2': 0.067006,
  'e2-standard-4': 0.134012,
  'e2-standard-8': 0.268024,
  'n1-standard-4': 0.189999,
  'n1-standard-8': 0.379998,
  'g2-standard-4': 0.706832,
  'g2-standard-8': 0.853624,
  'g2-standard-12': 1.000416,
  'g2-standard-16': 1.147208,
  'g2-standard-24': 2.000832,
  'g2-standard-32': 1.73638,
};
/** GPUs attached to n1 machines, per GPU per hour. */
export const GPU_PRICES: Record<string, number> = { 'nvidia-tesla-t4': 0.35 };
/** pd-balanced: $0.10 per GB-month, over the 730 hours of a billing month. */
export const DISK_PRICE_PER_GB_HOUR = 0.1 / 730;
/** A static external IPv4 address in use by a VM. */
export const STATIC_IP_PRICE = 0.005;
/**
 * Spot VMs and GPUs are 60-91% cheaper and Google changes their prices up to once a month; the estimate
 * assumes the cautious end (60% off).
 */
export const SPOT_FACTOR = 0.4;

export interface CostEstimate {
  /** Undefined when the machine type is not in the table. */
  usdPerHour?: number;
  summary: string;
}

type CostInputs = Pick<SingleVmConfig, 'machineType' | 'gpu' | 'spot' | 'bootDiskGb'>;

const usd = (n: number) => `$${n.toFixed(3)}`;

export function hourlyCostEstimate(c: CostInputs): CostEstimate {
  const machine = MACHINE_PRICES[c.machineType];
  const source = `${c.spot ? 'spot estimate from ' : ''}${PRICE_REGION} on-demand list prices of ${PRICE_DATE}`;
  if (machine === undefined) {
    return {
      summary: `no price on file for ${c.machineType}; see https://cloud.google.com/compute/vm-instance-pricing`,
    };
  }
  const factor = c.spot ? SPOT_FACTOR : 1;
  // g2 prices already include their L4s; only GPUs attached to n1 machines are billed separately.
  const gpu = c.gpu && isN1(c.machineType) ? (GPU_PRICES[c.gpu.type] ?? 0) * c.gpu.count : 0;
  const parts = [
    { label: c.machineType, cost: machine * factor },
    ...(gpu > 0 && c.gpu ? [{ label: `${c.gpu.count}x ${c.gpu.type}`, cost: gpu * factor }] : []),
    { label: `${c.bootDiskGb} GB pd-balanced`, cost: c.bootDiskGb * DISK_PRICE_PER_GB_HOUR },
    { label: 'static IP', cost: STATIC_IP_PRICE },
  ];
  const total = parts.reduce((sum, p) => sum + p.cost, 0);
  return {
    usdPerHour: Number(total.toFixed(4)),
    summary: `~$${total.toFixed(2)}/h (${parts.map((p) => `${p.label} ${usd(p.cost)}`).join(' + ')}; ${source}, your region may differ)`,
  };
}

/**
 * Cloud Run list prices in tier-1 regions (us-central1, europe-west1/4, us-east4...), USD per second, from
 * https://cloud.google.com/run/pricing. Instance-based billing (CPU always allocated, required with a GPU)
 * bills the whole life of an instance; request-based billing only the time requests are in flight, plus a
 * fee per request, and idle minimum instances at a reduced rate.
 */
export const CLOUD_RUN_PRICES = {
  instance: { vcpu: 0.000018, gib: 0.000002 },
  request: { vcpu: 0.000024, gib: 0.0000025, perMillionRequests: 0.4 },
  /** What an idle minimum instance costs under request-based billing. */
  idleMinInstance: { vcpu: 0.0000025, gib: 0.0000025 },
  l4: { zonalRedundancy: 0.0002909, noZonalRedundancy: 0.0001867 },
} as const;
/** A global forwarding rule (the load balancer of a custom domain), per hour; the first five cost the same. */
export const FORWARDING_RULE_PRICE = 0.025;

/** The UI service: small, CPU only, request-based billing. */
export const UI_SERVICE = { cpu: 1, memoryGib: 0.5 } as const;

export interface CloudRunCost {
  /** The API service for one hour with one instance up and serving. */
  activeInstanceHour: number;
  /** An hour without traffic at the configured minInstances (0: nothing but the load balancer). */
  idleHour: number;
  /** An hour without traffic with one warm instance (minInstances 1). */
  minOneIdleHour: number;
  summary: string;
}

type CloudRunCostInputs = Pick<
  CloudRunConfig,
  'cpu' | 'memoryGib' | 'gpu' | 'gpuZonalRedundancy' | 'minInstances' | 'domain'
>;

/** The cloud-run shape's estimate: per active API instance-hour, idle cost, and what a warm instance costs. */
export function cloudRunCostEstimate(c: CloudRunCostInputs): CloudRunCost {
  const hour = 3600;
  const p = CLOUD_RUN_PRICES;
  const gpu = c.gpu ? (c.gpuZonalRedundancy ? p.l4.zonalRedundancy : p.l4.noZonalRedundancy) : 0;
  // A GPU service must use instance-based billing; the CPU-only API uses request-based billing.
  const rates = c.gpu ? p.instance : p.request;
  const activeInstanceHour = (c.cpu * rates.vcpu + c.memoryGib * rates.gib + gpu) * hour;
  const warmHour = c.gpu
    ? activeInstanceHour
    : (c.cpu * p.idleMinInstance.vcpu + c.memoryGib * p.idleMinInstance.gib) * hour;
  const lb = c.domain ? FORWARDING_RULE_PRICE * 2 : 0;
  const idleHour = c.minInstances * warmHour + lb;
  const minOneIdleHour = warmHour + lb;
  const machine = `${c.cpu} vCPU, ${c.memoryGib} GiB${c.gpu ? `, L4 ${c.gpuZonalRedundancy ? 'with' : 'without'} zonal redundancy` : ''}`;
  const parts = [
    `~${usd(activeInstanceHour)} per active API instance-hour (${machine}, ${c.gpu ? 'instance-based' : 'request-based'} billing)`,
    `idle at minInstances ${c.minInstances}: ${usd(idleHour)}/h`,
    `minInstances 1 keeps one warm for ${usd(minOneIdleHour)}/h (~$${Math.round(minOneIdleHour * 730)}/month)`,
    ...(lb > 0 ? [`load balancer ${usd(lb)}/h`] : []),
  ];
  return {
    activeInstanceHour: Number(activeInstanceHour.toFixed(4)),
    idleHour: Number(idleHour.toFixed(4)),
    minOneIdleHour: Number(minOneIdleHour.toFixed(4)),
    summary: `${parts.join('; ')}; the UI is billed per request; Cloud Run tier-1 list prices of ${PRICE_DATE}`,
  };
}
