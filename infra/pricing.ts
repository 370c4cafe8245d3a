// A small, dated price table for the `hourlyCostEstimate` stack output. The numbers are Compute Engine
// on-demand list prices in us-central1 (USD per hour) as published on
// https://cloud.google.com/compute/vm-instance-pricing and https://cloud.google.com/compute/gpus-pricing;
// most other regions cost 5-25% more. It is an estimate for students deciding whether to leave a VM up,
// not a bill: egress, Artifact Registry storage and logging are extra (and small for a demo).
import { type DeployConfig, isN1 } from './config.js';

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

type CostInputs = Pick<DeployConfig, 'machineType' | 'gpu' | 'spot' | 'bootDiskGb'>;

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
