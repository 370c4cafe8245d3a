// The whole Pulumi program under mocks: the dev stack (L4), a CPU-only and a T4 configuration, spot, a custom
// domain, basic auth. Each test deploys a fresh configuration and inspects every registered resource.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildInfo, imageRevision } from '../build-info.js';
import { subnetRange } from '../components/network.js';
import { registryCredentialProblem } from '../components/registry-images.js';
import { parseConfig, type RawConfig } from '../config.js';
import { REQUIRED_SERVICES, SingleVm } from '../stacks/single-vm.js';
import { renderStartupScript, VM_FILES } from '../vm/metadata.js';
import {
  deployShape,
  type Inputs,
  installMocks,
  isSecret,
  MOCK_INSTANCE_ID,
  MOCK_IP,
  MOCK_TOKEN,
  memoize,
  outputValue,
  settle,
} from './mocks.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const pkgVersion: string = JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')).version;

const DEV: RawConfig = {
  'gcp:project': 'student-proj-1',
  'gcp:region': 'us-central1',
  'gcp:zone': 'us-central1-a',
};
const CPU: RawConfig = { ...DEV, machineType: 'e2-standard-4', gpu: 'none' };
const T4: RawConfig = { ...DEV, machineType: 'n1-standard-4', gpu: 'nvidia-tesla-t4', gpuCount: '1' };

const deployFresh = (raw: RawConfig, stack: string) =>
  deployShape('single-vm', raw, { stack, repoRoot, packageVersion: pkgVersion, build: buildInfo(repoRoot) });
// each configuration deploys once; its tests read what it registered
const deployOnce = memoize(deployFresh);
const deploy = (raw: RawConfig, stack = 'dev') => deployOnce(raw, stack);

const must = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`missing: ${what}`);
  return value;
};

const instanceOf = (d: Awaited<ReturnType<typeof deployFresh>>) =>
  d.one('gcp:compute/instance:Instance').inputs;
const metadataOf = (d: Awaited<ReturnType<typeof deployFresh>>): Inputs => instanceOf(d).metadata;

describe('dev stack (g2-standard-4, one L4)', () => {
  it('enables the required services and leaves them enabled on destroy', async () => {
    const d = await deploy(DEV);
    const services = d.ofType('gcp:projects/service:Service').map((r) => r.inputs);
    expect(services.map((s) => s.service).sort()).toEqual([...REQUIRED_SERVICES].sort());
    for (const s of services) {
      expect(s.disableOnDestroy).toBe(false);
      expect(s.project).toBe('student-proj-1');
    }
    expect(services.map((s) => s.service)).toEqual(
      expect.arrayContaining([
        'compute.googleapis.com',
        'artifactregistry.googleapis.com',
        'dns.googleapis.com',
        'iam.googleapis.com',
      ]),
    );
  });

  it('creates a regional DOCKER repository with a keep-most-recent cleanup policy', async () => {
    const d = await deploy({ ...DEV, registryKeepVersions: '7' });
    const repo = d.one('gcp:artifactregistry/repository:Repository').inputs;
    expect(repo.format).toBe('DOCKER');
    expect(repo.location).toBe('us-central1');
    expect(repo.repositoryId).toBe('modelship-dev');
    expect(repo.cleanupPolicyDryRun).toBe(false);
    const keep = repo.cleanupPolicies.find((p: Inputs) => p.action === 'KEEP');
    expect(keep.mostRecentVersions.keepCount).toBe(7);
    const del = repo.cleanupPolicies.find((p: Inputs) => p.action === 'DELETE');
    expect(del.condition.tagState).toBe('ANY');
  });

  it('builds both images for linux/amd64 from the root Dockerfile, the API with its gpu target', async () => {
    const d = await deploy(DEV);
    const images = d.ofType('docker:index/image:Image').map((r) => r.inputs);
    expect(images).toHaveLength(2);
    const api = must(
      images.find((i) => i.imageName.includes('/api:')),
      'api',
    );
    const ui = must(
      images.find((i) => i.imageName.includes('/ui:')),
      'ui',
    );
    expect(api.imageName).toBe(`us-central1-docker.pkg.dev/student-proj-1/modelship-dev/api:${pkgVersion}`);
    expect(ui.imageName).toBe(`us-central1-docker.pkg.dev/student-proj-1/modelship-dev/ui:${pkgVersion}`);
    expect(api.build).toMatchObject({ platform: 'linux/amd64', target: 'api-gpu' });
    expect(ui.build).toMatchObject({ platform: 'linux/amd64', target: 'ui' });
    const cpu = await deploy(CPU);
    const cpuApi = cpu.ofType('docker:index/image:Image').find((r) => r.inputs.imageName.includes('/api:'));
    expect(cpuApi?.inputs.build.target).toBe('api');
    // The labels: the package version and each image's own content revision (this checkout's files).
    expect(api.build.args).toEqual({
      VERSION: pkgVersion,
      REVISION: imageRevision(repoRoot, 'api'),
      SOURCE: expect.any(String),
    });
    expect(ui.build.args.REVISION).toBe(imageRevision(repoRoot, 'ui'));
  });

  it('gives the provider relative build paths, resolved from the project root (where Pulumi.yaml is)', async () => {
    // pulumi-docker (provider/image.go) hands context and dockerfile to docker/cli's GetContextFromLocalDir,
    // which resolves them against the provider's working directory: the program's, i.e. the project root.
    // An absolute path would be an input that differs between two clones of the same commit.
    const d = await deploy(DEV);
    for (const { inputs } of d.ofType('docker:index/image:Image')) {
      expect(inputs.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
      expect(JSON.stringify(inputs)).not.toContain(repoRoot);
    }
    for (const file of ['Pulumi.yaml', 'Dockerfile', '.dockerignore']) {
      expect(existsSync(`${repoRoot}/${file}`), file).toBe(true);
    }
  });

  it('pushes with the host gcloud credential helper, asked per push, never a token taken at start', async () => {
    // With no username/password, the provider calls the credential helper that `gcloud auth
    // configure-docker` registers for the host inside each image's own build-and-push step.
    const d = await deploy(DEV);
    for (const r of d.ofType('docker:index/image:Image')) {
      expect(r.inputs.registry).toEqual({ server: 'us-central1-docker.pkg.dev' });
      expect(r.secretPaths).toEqual([]);
    }
    expect(d.calls.map((c) => c.token)).not.toContain('gcp:organizations/getClientConfig:getClientConfig');
    expect(JSON.stringify(d.ofType('docker:index/image:Image'))).not.toContain(MOCK_TOKEN);
  });

  it('names the one-time setup command when the gcloud credential helper is not registered for the registry', () => {
    const host = 'us-central1-docker.pkg.dev';
    const fix = /Run once: gcloud auth configure-docker us-central1-docker\.pkg\.dev$/;
    expect(registryCredentialProblem(undefined, host)).toMatch(fix);
    expect(registryCredentialProblem({ auths: { [host]: { auth: 'eHl6' } } }, host)).toMatch(fix);
    expect(
      registryCredentialProblem({ credHelpers: { 'europe-west4-docker.pkg.dev': 'gcloud' } }, host),
    ).toMatch(fix);
    expect(registryCredentialProblem({ credHelpers: { [host]: 'gcloud' } }, host)).toBeUndefined();
  });

  it('gives the VM a dedicated account with only the reader, log writer and metric writer roles', async () => {
    const d = await deploy(DEV);
    const account = d.one('gcp:serviceaccount/account:Account').inputs;
    expect(account.accountId).toBe('ms-dev-vm');
    const email = `ms-dev-vm@student-proj-1.iam.gserviceaccount.com`;
    const projectRoles = d.ofType('gcp:projects/iAMMember:IAMMember').map((r) => r.inputs);
    expect(projectRoles.map((r) => r.role).sort()).toEqual([
      'roles/logging.logWriter',
      'roles/monitoring.metricWriter',
    ]);
    for (const r of projectRoles) expect(r.member).toBe(`serviceAccount:${email}`);
    const reader = d.one('gcp:artifactregistry/repositoryIamMember:RepositoryIamMember').inputs;
    expect(reader).toMatchObject({
      role: 'roles/artifactregistry.reader',
      member: `serviceAccount:${email}`,
      repository: 'modelship-dev',
      location: 'us-central1',
    });
    const vm = instanceOf(d);
    expect(vm.serviceAccount).toEqual({ email, scopes: ['cloud-platform'] });
    expect(JSON.stringify(vm)).not.toContain('compute@developer.gserviceaccount.com');
  });

  it('opens 80/443 (and udp/443 for HTTP/3) to the world and 22 only to the IAP range, on the VM tag of a dedicated network', async () => {
    const d = await deploy(DEV);
    const rules = d.ofType('gcp:compute/firewall:Firewall').map((r) => r.inputs);
    expect(rules).toHaveLength(2);
    const vmTags = instanceOf(d).tags;
    expect(vmTags).toEqual(['modelship-dev']);
    const ports = rules.flatMap((r) => r.allows.flatMap((a: Inputs) => a.ports));
    expect(ports.sort()).toEqual(['22', '443', '443', '80']);
    // the published ports of the Caddy front, protocol by protocol
    const caddy = parse(readFileSync(`${repoRoot}/docker-compose.caddy.yml`, 'utf8')).services.caddy;
    const published = (caddy.ports as string[]).map((p) => {
      const [port, protocol = 'tcp'] = p.replace(/^.*:/, '').split('/');
      return `${protocol}/${port}`;
    });
    const opened = rules.flatMap((r) =>
      r.sourceRanges.includes('0.0.0.0/0')
        ? r.allows.flatMap((a: Inputs) => a.ports.map((port: string) => `${a.protocol}/${port}`))
        : [],
    );
    expect(opened.sort()).toEqual(published.sort());
    const web = must(
      rules.find((r) => r.allows[0].ports.includes('443')),
      'web',
    );
    const ssh = must(
      rules.find((r) => r.allows[0].ports.includes('22')),
      'ssh',
    );
    // what docker-compose.caddy.yml publishes: HTTP, HTTPS and HTTP/3 (QUIC)
    expect(web.allows).toEqual([
      { protocol: 'tcp', ports: ['80', '443'] },
      { protocol: 'udp', ports: ['443'] },
    ]);
    expect(web.sourceRanges).toEqual(['0.0.0.0/0']);
    expect(ssh.allows).toEqual([{ protocol: 'tcp', ports: ['22'] }]);
    expect(ssh.sourceRanges).toEqual(['35.235.240.0/20']);
    for (const r of rules) {
      expect(r.direction).toBe('INGRESS');
      expect(r.targetTags).toEqual(vmTags);
      expect(r.network).toBe('modelship-net-vpc-id');
    }
    const network = d.one('gcp:compute/network:Network').inputs;
    expect(network.autoCreateSubnetworks).toBe(false);
    expect(instanceOf(d).networkInterfaces[0].subnetwork).toBe('modelship-net-subnet-id');
  });

  it('runs a g2 VM with the L4 it carries: TERMINATE on maintenance, no guestAccelerators', async () => {
    const d = await deploy(DEV);
    const vm = instanceOf(d);
    expect(vm.machineType).toBe('g2-standard-4');
    expect(vm.zone).toBe('us-central1-a');
    expect(vm.guestAccelerators ?? []).toEqual([]);
    expect(vm.scheduling).toMatchObject({
      onHostMaintenance: 'TERMINATE',
      automaticRestart: true,
      preemptible: false,
    });
    expect(vm.bootDisk.initializeParams).toMatchObject({
      size: 100,
      type: 'pd-balanced',
      image: 'ubuntu-os-accelerator-images/ubuntu-accelerator-2404-amd64-with-nvidia-580',
    });
    expect(vm.shieldedInstanceConfig).toEqual({
      enableSecureBoot: true,
      enableVtpm: true,
      enableIntegrityMonitoring: true,
    });
    expect(vm.allowStoppingForUpdate).toBe(true);
    expect(vm.labels).toMatchObject({
      app: 'modelship',
      stack: 'dev',
      'managed-by': 'pulumi',
      gpu: 'nvidia-l4',
    });
    expect(vm.networkInterfaces[0].accessConfigs[0].natIp).toBe(MOCK_IP);
  });

  it('puts the startup script and the pushed digests into the VM metadata, never a mutable tag', async () => {
    const d = await deploy(DEV);
    const vm = instanceOf(d);
    expect(vm.metadataStartupScript).toBeUndefined();
    const metadata = metadataOf(d);
    expect(metadata['startup-script']).toBe(renderStartupScript());
    expect(d.outputs.apiImage).toMatch(
      /^us-central1-docker\.pkg\.dev\/student-proj-1\/modelship-dev\/api@sha256:[0-9a-f]{64}$/,
    );
    expect(d.outputs.uiImage).toMatch(
      /^us-central1-docker\.pkg\.dev\/student-proj-1\/modelship-dev\/ui@sha256:[0-9a-f]{64}$/,
    );
    expect(metadata['modelship-env']).toContain(`API_IMAGE='${d.outputs.apiImage}'`);
    expect(metadata['modelship-env']).toContain(`UI_IMAGE='${d.outputs.uiImage}'`);
    expect(metadata['modelship-env']).toContain(`SITE_ADDRESS='34-1-2-3.sslip.io'`);
    expect(metadata['modelship-env']).toMatch(
      new RegExp(`APP_VERSION='${pkgVersion.replaceAll('.', '\\.')}\\+[0-9a-f]{12}'`),
    );
    expect(metadata['modelship-registry']).toBe('us-central1-docker.pkg.dev');
    expect(metadata['modelship-gpu']).toBe('true');
    expect(metadata['enable-oslogin']).toBe('TRUE');
    expect(metadata['modelship-env']).not.toContain('BASIC_AUTH');
    // Nothing anywhere in the program runs or references a `latest` tag.
    const everything = JSON.stringify(d.resources) + JSON.stringify(d.outputs);
    expect(everything).not.toMatch(/:latest\b/);
  });

  it('uses the static IP sslip.io name for the URL and creates no DNS record', async () => {
    const d = await deploy(DEV);
    expect(d.outputs.url).toBe('https://34-1-2-3.sslip.io');
    expect(d.outputs.apiDocsUrl).toBe('https://34-1-2-3.sslip.io/api/docs');
    expect(d.outputs.ip).toBe(MOCK_IP);
    expect(d.ofType('gcp:dns/recordSet:RecordSet')).toHaveLength(0);
    const address = d.one('gcp:compute/address:Address').inputs;
    expect(address).toMatchObject({ addressType: 'EXTERNAL', region: 'us-central1', networkTier: 'PREMIUM' });
  });

  it('uses nip.io instead when ipHostSuffix says so (the URL, and the site Caddy gets a certificate for)', async () => {
    const d = await deploy({ ...DEV, ipHostSuffix: 'nip.io' });
    expect(d.outputs.url).toBe('https://34-1-2-3.nip.io');
    expect(metadataOf(d)['modelship-env']).toContain(`SITE_ADDRESS='34-1-2-3.nip.io'`);
  });

  it('exports the documented outputs', async () => {
    const d = await deploy(DEV);
    expect(d.outputs.instanceName).toBe('modelship-vm-instance-a1b2c3d');
    expect(d.outputs.zone).toBe('us-central1-a');
    expect(d.outputs.sshCommand).toBe(
      'gcloud compute ssh modelship-vm-instance-a1b2c3d --zone us-central1-a --project student-proj-1 --tunnel-through-iap',
    );
    expect(d.outputs.hourlyCostEstimate).toMatch(
      /^~\$0\.73\/h \(g2-standard-4 \$0\.707 \+ 100 GB pd-balanced/,
    );
  });

  it('waits for the URL to serve the deployed version, re-run by digests and the startup script', async () => {
    const d = await deploy(DEV);
    const cmd = d.one('command:local:Command').inputs;
    expect(cmd.create).toBe('node --import tsx infra/readiness/main.ts');
    expect(cmd.dir).toBe(repoRoot);
    const version = metadataOf(d)['modelship-version'];
    expect(cmd.environment).toMatchObject({
      MODELSHIP_URL: 'https://34-1-2-3.sslip.io',
      MODELSHIP_VERSION: version,
      MODELSHIP_TIMEOUT_SECONDS: '1200',
    });
    expect(cmd.environment.MODELSHIP_HINT).toContain('journalctl -u google-startup-scripts');
    // the exact recovery commands, with this VM's name, zone and project
    expect(cmd.environment.MODELSHIP_HINT).toContain(
      'gcloud compute ssh modelship-vm-instance-a1b2c3d --zone us-central1-a --project student-proj-1 --tunnel-through-iap -- sudo systemctl restart modelship-watcher',
    );
    expect(cmd.environment.MODELSHIP_HINT).toContain(
      'gcloud compute instances reset modelship-vm-instance-a1b2c3d --zone us-central1-a --project student-proj-1',
    );
    // a VM not serving is nudged (its watcher retries at once); the hint gives the same command by hand
    expect(cmd.environment).toMatchObject({
      MODELSHIP_NUDGE_INSTANCE: 'modelship-vm-instance-a1b2c3d',
      MODELSHIP_NUDGE_ZONE: 'us-central1-a',
      MODELSHIP_NUDGE_PROJECT: 'student-proj-1',
    });
    expect(cmd.environment.MODELSHIP_HINT).toContain(
      'Retry now: gcloud compute instances add-metadata modelship-vm-instance-a1b2c3d --zone us-central1-a --project student-proj-1 --metadata modelship-nudge=$(date +%s)',
    );
    expect(cmd.environment.MODELSHIP_BASIC_AUTH).toBeUndefined();
    expect(cmd.triggers).toEqual([
      d.outputs.apiImage,
      d.outputs.uiImage,
      renderStartupScript(),
      MOCK_INSTANCE_ID, // a replaced VM boots from scratch: wait for it too
    ]);
  });

  it('replaces the VM without colliding: the old one (holding the static IP) goes first', async () => {
    const d = await deploy(DEV);
    // spot, vmImage, the GPU, g2 <-> n1 and the zone are force-new on the instance; the new VM asks for
    // the static IP, which GCE grants only once the old VM released it
    expect(d.one('gcp:compute/instance:Instance').options.deleteBeforeReplace).toBe(true);
    // the address itself is created before the old one is deleted (a region move): the old VM holds it
    expect(d.one('gcp:compute/address:Address').options.deleteBeforeReplace).toBe(false);
  });

  it('gives each region its own subnet range, so that a region move never overlaps in the VPC', async () => {
    const ranges = await Promise.all(
      ['us-central1', 'europe-west4'].map(async (region) => {
        const d = await deploy({ ...DEV, 'gcp:region': region, 'gcp:zone': `${region}-a` });
        const subnet = d.one('gcp:compute/subnetwork:Subnetwork').inputs;
        expect(subnet.region).toBe(region);
        return subnet.ipCidrRange as string;
      }),
    );
    expect(ranges[0]).toBe(subnetRange('us-central1'));
    expect(ranges[1]).toBe(subnetRange('europe-west4'));
    expect(ranges[0]).not.toBe(ranges[1]);
  });

  it('names the per-stack GCP resources after the stack', async () => {
    const d = await deploy(DEV, 'Team A_2');
    expect(d.one('gcp:serviceaccount/account:Account').inputs.accountId).toBe('ms-team-a-2-vm');
    expect(d.one('gcp:artifactregistry/repository:Repository').inputs.repositoryId).toBe(
      'modelship-team-a-2',
    );
  });
});

describe('other shapes of VM', () => {
  it('CPU-only: e2 VM, CPU API image, live migration, no accelerators', async () => {
    const d = await deploy(CPU);
    const vm = instanceOf(d);
    expect(vm.machineType).toBe('e2-standard-4');
    expect(vm.guestAccelerators ?? []).toEqual([]);
    expect(vm.scheduling).toMatchObject({ onHostMaintenance: 'MIGRATE', automaticRestart: true });
    expect(vm.labels.gpu).toBe('none');
    expect(metadataOf(d)['modelship-gpu']).toBe('false');
    const api = must(
      d.ofType('docker:index/image:Image').find((r) => String(r.inputs.imageName).includes('/api:')),
      'api',
    );
    expect(api.inputs.build.target).toBe('api');
    expect(d.outputs.hourlyCostEstimate).toMatch(/^~\$0\.15\/h \(e2-standard-4/);
  });

  it('T4: n1 VM with the T4 attached as a guest accelerator and TERMINATE on maintenance', async () => {
    const d = await deploy(T4);
    const vm = instanceOf(d);
    expect(vm.machineType).toBe('n1-standard-4');
    expect(vm.guestAccelerators).toEqual([{ type: 'nvidia-tesla-t4', count: 1 }]);
    expect(vm.scheduling).toMatchObject({ onHostMaintenance: 'TERMINATE' });
    expect(vm.labels.gpu).toBe('nvidia-tesla-t4');
    const api = must(
      d.ofType('docker:index/image:Image').find((r) => String(r.inputs.imageName).includes('/api:')),
      'api',
    );
    expect(api.inputs.build.target).toBe('api-gpu');
    expect(d.outputs.hourlyCostEstimate).toContain('1x nvidia-tesla-t4 $0.350');
  });

  it('spot: SPOT provisioning, preemptible, no automatic restart, stopped (not deleted) on preemption', async () => {
    const d = await deploy({ ...DEV, spot: 'true' });
    expect(instanceOf(d).scheduling).toEqual({
      provisioningModel: 'SPOT',
      preemptible: true,
      automaticRestart: false,
      onHostMaintenance: 'TERMINATE',
      instanceTerminationAction: 'STOP',
    });
    expect(d.outputs.hourlyCostEstimate).toContain('spot estimate');
  });

  it('custom domain in a Cloud DNS zone: an A record to the static IP, and the URL on that name', async () => {
    const d = await deploy({ ...DEV, domain: 'ocr.example.com', dnsZone: 'example-zone' });
    const record = d.one('gcp:dns/recordSet:RecordSet').inputs;
    expect(record).toMatchObject({
      managedZone: 'example-zone',
      name: 'ocr.example.com.',
      type: 'A',
      rrdatas: [MOCK_IP],
      project: 'student-proj-1',
    });
    expect(d.outputs.url).toBe('https://ocr.example.com');
    expect(metadataOf(d)['modelship-env']).toContain(`SITE_ADDRESS='ocr.example.com'`);
  });

  it('custom domain without a zone: no record (the user points DNS at the ip output)', async () => {
    const d = await deploy({ ...DEV, domain: 'ocr.example.org' });
    expect(d.ofType('gcp:dns/recordSet:RecordSet')).toHaveLength(0);
    expect(d.outputs.url).toBe('https://ocr.example.org');
  });

  it('extra SSH ranges and API tuning reach the firewall and the VM settings', async () => {
    const d = await deploy({
      ...DEV,
      sshSourceRanges: '["35.235.240.0/20","203.0.113.0/24"]',
      apiReplicas: '2',
      apiWorkers: '3',
      bootDiskGb: '200',
    });
    const ssh = must(
      d.ofType('gcp:compute/firewall:Firewall').find((r) => r.inputs.allows[0].ports.includes('22')),
      'ssh',
    );
    expect(ssh.inputs.sourceRanges).toEqual(['35.235.240.0/20', '203.0.113.0/24']);
    const env = metadataOf(d)['modelship-env'];
    expect(env).toContain(`API_REPLICAS='2'`);
    expect(env).toContain(`WORKERS='3'`);
    // 3 workers: 384 + 3 × 256 MiB (app/api/src/memory-budget.ts)
    expect(env).toContain(`API_MEM_LIMIT='1152m'`);
    expect(instanceOf(d).bootDisk.initializeParams.size).toBe(200);
  });
});

describe('basic auth', () => {
  const withAuth = { ...DEV, basicAuth: 'student:correct horse battery' };

  it('keeps the password in Secret Manager, readable by the VM account alone', async () => {
    const d = await deploy(withAuth);
    // the same component as Cloud Run's credentials (infra/components/secret.ts), and the only one
    expect(d.one('modelship:infra:Secret').name).toBe('modelship-basic-auth');
    expect(d.ofType('modelship:infra:BasicAuthSecret')).toEqual([]);
    const secret = d.one('gcp:secretmanager/secret:Secret');
    expect(secret.inputs.replication).toEqual({ auto: {} });
    const version = d.one('gcp:secretmanager/secretVersion:SecretVersion');
    expect(version.inputs.secretData).toBe('correct horse battery');
    expect(version.secretPaths).toEqual(['secretData']);
    const reader = d.one('gcp:secretmanager/secretIamMember:SecretIamMember').inputs;
    const email = d.one('gcp:serviceaccount/account:Account').inputs.accountId;
    expect(reader).toMatchObject({
      secretId: `${secret.name}-id`,
      role: 'roles/secretmanager.secretAccessor',
      member: `serviceAccount:${email}@student-proj-1.iam.gserviceaccount.com`,
    });
    expect(d.ofType('gcp:projects/service:Service').map((s) => s.inputs.service)).toContain(
      'secretmanager.googleapis.com',
    );
  });

  it('puts no password and no hash of it into the metadata: the VM reads the secret version and hashes it', async () => {
    const d = await deploy(withAuth);
    const metadata = metadataOf(d);
    expect(metadata['modelship-basic-auth-secret']).toBe(
      'projects/123456789/secrets/modelship-basic-auth-secret-id/versions/1',
    );
    expect(metadata['modelship-env']).toContain(`BASIC_AUTH_USER='student'`);
    const instance = JSON.stringify(d.one('gcp:compute/instance:Instance'));
    expect(instance).not.toContain('correct horse battery');
    // (the shipped repository files name BASIC_AUTH_HASH and hold the Caddyfile's locked-site fallback)
    const settings = Object.entries(metadata).filter(
      ([key]) => !(key in VM_FILES) && key !== 'startup-script',
    );
    expect(JSON.stringify(settings)).not.toMatch(/\$2[aby]\$|BASIC_AUTH_HASH/);
    // nothing secret left in the instance
    expect(d.one('gcp:compute/instance:Instance').secretPaths).toEqual([]);
  });

  it('depends on the password only through the secret version: an unchanged password rolls nothing', async () => {
    const a = await deployFresh(withAuth, 'dev');
    const b = await deployFresh({ ...withAuth, basicAuth: 'student:another long password' }, 'dev');
    // (a new password replaces the SecretVersion, whose new name is what changes the metadata)
    expect(metadataOf(b)).toEqual(metadataOf(a));
    expect(d(a)).not.toEqual(d(b));
    function d(x: Awaited<ReturnType<typeof deployFresh>>) {
      return x.one('gcp:secretmanager/secretVersion:SecretVersion').inputs.secretData;
    }
  });

  it('hands the credentials to the readiness wait as a secret', async () => {
    const d = await deploy(withAuth);
    const cmd = d.one('command:local:Command');
    expect(cmd.inputs.environment.MODELSHIP_BASIC_AUTH).toBe('student:correct horse battery');
    expect(cmd.secretPaths).toEqual(['environment']);
    // The outputs do not depend on the secret and stay readable.
    expect(await isSecret(d.raw.url)).toBe(false);
    expect(await isSecret(d.raw.apiImage)).toBe(false);
  });

  it('without basic auth nothing in the VM is secret', async () => {
    const d = await deploy(DEV);
    expect(d.one('gcp:compute/instance:Instance').secretPaths).toEqual([]);
  });
});

describe('the SingleVm shape', () => {
  it('reads no file and runs no git: the build info comes in through the context', async () => {
    const { resources } = await installMocks('dev');
    const config = parseConfig(CPU);
    if (config.shape !== 'single-vm') throw new Error('a single-vm config');
    const build = {
      revisions: { api: `sha256:${'e'.repeat(64)}`, ui: `sha256:${'f'.repeat(64)}` },
      source: 'https://example.com/class/modelship.git',
    };
    const context = { stack: 'dev', repoRoot: '/nonexistent/checkout', packageVersion: '9.9.9', build };
    const out = new SingleVm('modelship', { config, context }).outputs;
    expect(await outputValue(out.apiImage)).toContain('/api@sha256:');
    await settle();
    const images = resources.filter((r) => r.type === 'docker:index/image:Image');
    expect(images).toHaveLength(2);
    for (const image of images) {
      expect(image.inputs.imageName).toMatch(/:9\.9\.9$/);
      const component = image.inputs.imageName.includes('/api:') ? 'api' : 'ui';
      expect(image.inputs.build.args).toEqual({
        VERSION: '9.9.9',
        REVISION: build.revisions[component as 'api' | 'ui'],
        SOURCE: build.source,
      });
      expect(image.inputs.build.context).toBe('.');
    }
    expect(resources.filter((r) => r.type === 'modelship:stacks:SingleVm')).toHaveLength(1);
  });
});

describe('infra/index.ts (the entry point Pulumi runs)', () => {
  it('reads the stack config and exports the outputs of the configured shape', async () => {
    await installMocks('dev');
    pulumi.runtime.setAllConfig({
      'gcp:project': 'student-proj-1',
      'gcp:zone': 'europe-west4-a',
      'modelship:machineType': 'e2-standard-4',
      'modelship:gpu': 'none',
    });
    const { default: main } = await import('../index.js');
    const out = main();
    if (!('zone' in out)) throw new Error('expected the single-vm outputs');
    expect(await outputValue(out.url)).toBe('https://34-1-2-3.sslip.io');
    expect(out.zone).toBe('europe-west4-a');
    expect(await outputValue(out.apiImage)).toMatch(
      /^europe-west4-docker\.pkg\.dev\/student-proj-1\/modelship-dev\/api@sha256:/,
    );
    expect(Object.keys(out).sort()).toEqual(
      [
        'apiDocsUrl',
        'apiImage',
        'dashboardUrl',
        'hourlyCostEstimate',
        'idleStop',
        'logsCommand',
        'logsUrl',
        'startCommand',
        'instanceName',
        'ip',
        'sshCommand',
        'uiImage',
        'url',
        'zone',
      ].sort(),
    );
    await settle();
  });

  it('fails before declaring any resource when the config is invalid', async () => {
    const { resources } = await installMocks('dev');
    pulumi.runtime.setAllConfig({
      'gcp:project': 'student-proj-1',
      'gcp:zone': 'us-central1-a',
      'modelship:gpu': 'none',
    });
    const { default: main } = await import('../index.js');
    expect(() => main()).toThrow(/gpu: is none but g2-standard-4 always carries an L4/);
    await settle();
    expect(resources).toEqual([]);
  });
});
