// The program's pure helpers: names, versions, GCE scheduling rules, DNS names, prices.
import { describe, expect, it } from 'vitest';
import { recordName, siteHostname, sslipHostname } from '../components/dns.js';
import { acceleratorsFor, schedulingFor, shieldedConfigFor } from '../components/vm.js';
import { hourlyCostEstimate, PRICE_DATE } from '../pricing.js';
import { deployVersion, slug } from '../stacks/context.js';

describe('hostnames', () => {
  it('maps the static IP to its sslip.io name, or uses the domain', () => {
    expect(sslipHostname('34.1.2.3')).toBe('34-1-2-3.sslip.io');
    expect(siteHostname(undefined, '35.200.10.254')).toBe('35-200-10-254.sslip.io');
    expect(siteHostname('ocr.example.com', '34.1.2.3')).toBe('ocr.example.com');
    expect(siteHostname(undefined, '34.1.2.3', 'nip.io')).toBe('34-1-2-3.nip.io');
    expect(() => sslipHostname('')).toThrow(/not an IPv4 address/);
  });

  it('makes the A record name inside the zone, or says which zone it is not in', () => {
    expect(recordName('ocr.example.com', 'example.com.', 'example-zone')).toBe('ocr.example.com.');
    expect(recordName('example.com', 'example.com.', 'example-zone')).toBe('example.com.');
    expect(() => recordName('ocr.example.org', 'example.com.', 'example-zone')).toThrow(
      'domain ocr.example.org is not inside the Cloud DNS zone example-zone (example.com.)',
    );
    expect(() => recordName('badexample.com', 'example.com.', 'z')).toThrow(/not inside/);
  });
});

describe('GCE scheduling and accelerators', () => {
  it('terminates GPU VMs on host maintenance and live-migrates CPU ones', () => {
    expect(schedulingFor({ gpu: true, spot: false })).toEqual({
      provisioningModel: 'STANDARD',
      preemptible: false,
      automaticRestart: true,
      onHostMaintenance: 'TERMINATE',
    });
    expect(schedulingFor({ gpu: false, spot: false }).onHostMaintenance).toBe('MIGRATE');
  });

  it('sets every field spot needs, GPU or not', () => {
    for (const gpu of [true, false]) {
      expect(schedulingFor({ gpu, spot: true })).toEqual({
        provisioningModel: 'SPOT',
        preemptible: true,
        automaticRestart: false,
        onHostMaintenance: 'TERMINATE',
        instanceTerminationAction: 'STOP',
      });
    }
  });

  it('attaches GPUs to n1 only; g2 carries its own', () => {
    expect(acceleratorsFor('n1-standard-4', { type: 'nvidia-tesla-t4', count: 2 })).toEqual([
      { type: 'nvidia-tesla-t4', count: 2 },
    ]);
    expect(acceleratorsFor('g2-standard-4', { type: 'nvidia-l4', count: 1 })).toEqual([]);
    expect(acceleratorsFor('e2-standard-4')).toEqual([]);
  });

  it('keeps Secure Boot on only for images with signed kernel modules', () => {
    expect(
      shieldedConfigFor('ubuntu-os-accelerator-images/ubuntu-accelerator-2404-amd64-with-nvidia-580'),
    ).toEqual({
      enableSecureBoot: true,
      enableVtpm: true,
      enableIntegrityMonitoring: true,
    });
    expect(
      shieldedConfigFor('deeplearning-platform-release/common-cu128-ubuntu-2204-nvidia-570').enableSecureBoot,
    ).toBe(false);
  });
});

describe('names and versions', () => {
  it('slugs stack names into GCP-safe IDs', () => {
    expect(slug('dev', 20)).toBe('dev');
    expect(slug('Team A_2', 20)).toBe('team-a-2');
    expect(slug('42-prod', 20)).toBe('prod');
    expect(slug('a-very-long-stack-name-for-class', 10)).toBe('a-very-lon');
    expect(slug('___', 20)).toBe('stack');
  });

  it('versions a deployment by its content', () => {
    const a = deployVersion('0.1.0', ['api@sha256:1', 'ui@sha256:1']);
    expect(a).toMatch(/^0\.1\.0\+[0-9a-f]{12}$/);
    expect(deployVersion('0.1.0', ['api@sha256:1', 'ui@sha256:1'])).toBe(a);
    expect(deployVersion('0.1.0', ['api@sha256:2', 'ui@sha256:1'])).not.toBe(a);
  });
});

describe('hourlyCostEstimate', () => {
  it('adds machine, disk and IP, with the table date', () => {
    const e = hourlyCostEstimate({
      machineType: 'g2-standard-4',
      gpu: { type: 'nvidia-l4', count: 1 },
      spot: false,
      bootDiskGb: 100,
    });
    expect(e.usdPerHour).toBeCloseTo(0.706832 + 100 * (0.1 / 730) + 0.005, 4);
    expect(e.summary).toContain(PRICE_DATE);
    expect(e.summary).not.toContain('nvidia-l4');
  });

  it('bills T4s on n1 separately and discounts spot', () => {
    const onDemand = hourlyCostEstimate({
      machineType: 'n1-standard-4',
      gpu: { type: 'nvidia-tesla-t4', count: 2 },
      spot: false,
      bootDiskGb: 100,
    });
    expect(onDemand.usdPerHour).toBeCloseTo(0.189999 + 0.7 + 100 * (0.1 / 730) + 0.005, 4);
    const spot = hourlyCostEstimate({
      machineType: 'n1-standard-4',
      gpu: { type: 'nvidia-tesla-t4', count: 2 },
      spot: true,
      bootDiskGb: 100,
    });
    expect(spot.usdPerHour).toBeLessThan(onDemand.usdPerHour as number);
    expect(spot.summary).toContain('spot estimate');
  });

  it('says when a machine type has no price on file', () => {
    const e = hourlyCostEstimate({ machineType: 'n2-standard-4', spot: false, bootDiskGb: 100 });
    expect(e.usdPerHour).toBeUndefined();
    expect(e.summary).toContain('no price on file for n2-standard-4');
  });
});
