// The subnet range per region: a region move creates the new subnet before deleting the old one, in the
// same VPC, so no two regions may share a range.
import { describe, expect, it } from 'vitest';
import { subnetRange } from '../components/network.js';

// Compute Engine's regions (`gcloud compute regions list`, late 2026).
const REGIONS = [
  'africa-south1',
  'asia-east1',
  'asia-east2',
  'asia-northeast1',
  'asia-northeast2',
  'asia-northeast3',
  'asia-south1',
  'asia-south2',
  'asia-southeast1',
  'asia-southeast2',
  'australia-southeast1',
  'australia-southeast2',
  'europe-central2',
  'europe-north1',
  'europe-north2',
  'europe-southwest1',
  'europe-west1',
  'europe-west2',
  'europe-west3',
  'europe-west4',
  'europe-west6',
  'europe-west8',
  'europe-west9',
  'europe-west10',
  'europe-west12',
  'me-central1',
  'me-central2',
  'me-west1',
  'northamerica-northeast1',
  'northamerica-northeast2',
  'northamerica-south1',
  'southamerica-east1',
  'southamerica-west1',
  'us-central1',
  'us-east1',
  'us-east4',
  'us-east5',
  'us-south1',
  'us-west1',
  'us-west2',
  'us-west3',
  'us-west4',
];

describe('subnetRange', () => {
  it('gives every region a different /24 inside 10.128.0.0/9', () => {
    const ranges = REGIONS.map(subnetRange);
    expect(new Set(ranges).size).toBe(REGIONS.length);
    for (const range of ranges) {
      const match = /^10\.(\d+)\.(\d+)\.0\/24$/.exec(range);
      expect(match, range).not.toBeNull();
      expect(Number(match?.[1])).toBeGreaterThanOrEqual(128);
      expect(Number(match?.[1])).toBeLessThanOrEqual(255);
      expect(Number(match?.[2])).toBeLessThanOrEqual(255);
    }
  });

  it('is stable: the same region always gets the same range (no replacement on a plain redeploy)', () => {
    expect(subnetRange('us-central1')).toBe(subnetRange('us-central1'));
    expect(subnetRange('us-central1')).toBe('10.165.237.0/24');
  });
});
