/**
 * Runs the buildspec of each pipeline action, as synthesized, with fake `aws`, `docker`, `npm`,
 * `npx`/`cdk`, `tsx` and `curl` on PATH that record what they are asked: a command that exists
 * only in a template cannot break without `npm test` noticing.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Template } from 'aws-cdk-lib/assertions';
import { FAKE_AWS, makeFakes } from './fakes';
import { actionOf, filesIn, pipelineTemplate, runAction } from '../pipeline-template';

let csl: Template;
let shipment: Template;
beforeAll(() => {
  csl = pipelineTemplate('csl');
  shipment = pipelineTemplate('shipment');
});

/** Index of the first recorded call that satisfies `match`. */
const indexOf = (calls: string[][], match: (c: string[]) => boolean) => calls.findIndex(match);

describe('TestInfrastructure', () => {
  test.each(['csl', 'shipment'])('%s: runs the test suite and synthesizes exactly that system', (system) => {
    const t = system === 'csl' ? csl : shipment;
    const fakes = makeFakes();
    const run = runAction(fakes, t, actionOf(t, 'Build', 'TestInfrastructure'));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(fakes.calls('npm').map((c) => c.slice(1))).toContainEqual(['test']);
    const synths = fakes.calls('cdk').filter((c) => c[1] === 'synth');
    // `npm run synth -- -c systems=x` would hand the context to the summary script, not to cdk synth.
    expect(synths).toHaveLength(1);
    expect(synths[0].join(' ')).toContain(`-c systems=${system}`);
  });
});

describe('prod Diff', () => {
  const destructive = `
if [ "$1" = scripts/diff.ts ]; then
  echo "Destructive changes in Csl-Prod (stateful resources, against test/baselines):"
  echo "  REPLACE Csl-Prod/Data MysqlPrimary (AWS::RDS::DBInstance)"
  exit 1
fi`;

  test('fails on a destructive change, and the approver still gets its output, encrypted with the pipeline key', () => {
    const fakes = makeFakes({ aws: FAKE_AWS, tsx: destructive });
    const action = actionOf(csl, 'Prod', 'Diff');
    const run = runAction(fakes, csl, action);
    // `diff | tee` without pipefail would lose the diff's exit status.
    expect(run.status).not.toBe(0);
    const upload = fakes.calls('aws').find((c) => c[1] === 's3' && c[2] === 'cp');
    expect(upload).toBeDefined();
    const [bucket, key] = upload![4].replace('s3://', '').split(/\/(.*)/);
    expect(key).toBe('diffs/exec-1.txt');
    // The approval links to the same object.
    const approve = actionOf(csl, 'Prod', 'Approve');
    const link = JSON.stringify(approve.Configuration.ExternalEntityLink);
    expect(link).toContain('diffs/#{codepipeline.PipelineExecutionId}.txt');
    expect(link).toContain(bucket);
    expect(fs.readFileSync(path.join(fakes.state, 's3', bucket, key), 'utf8')).toContain('REPLACE Csl-Prod/Data');
    // `--sse aws:kms` alone would encrypt with aws/s3, which the approver's role may not read.
    expect(upload).toEqual(expect.arrayContaining(['--sse', 'aws:kms', '--sse-kms-key-id']));
    expect(upload![upload!.indexOf('--sse-kms-key-id') + 1]).toMatch(/\S/);
  });

  test('passes on a clean diff and passes the built image tags to the diff', () => {
    const fakes = makeFakes({ aws: FAKE_AWS, tsx: 'echo "  none"' });
    const run = runAction(fakes, csl, actionOf(csl, 'Prod', 'Diff'));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const diff = fakes.calls('tsx').find((c) => c[1] === 'scripts/diff.ts')!;
    expect(diff.slice(2, 4)).toEqual(['csl', 'prod']);
    expect(diff.join(' ')).toContain('-c imageTag.api=c0ffee1');
  });
});

describe('Promote', () => {
  const seed = (state: string, repository: string, tag: string, digest: string) =>
    filesIn(path.join(state, 'ecr'), { [`${repository}/${tag}`]: `${digest}\n` });

  test('is idempotent: a second run of the same promotion changes nothing and succeeds', () => {
    const fakes = makeFakes({ aws: FAKE_AWS });
    for (const repo of ['csl/api', 'csl/api-nginx', 'csl/certification', 'csl/admin']) {
      seed(fakes.state, repo, 'c0ffee1', `sha256:${repo.replace(/\W/g, '')}`);
    }
    const action = actionOf(csl, 'Staging', 'Promote');
    const first = runAction(fakes, csl, action);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const puts = fakes.calls('aws').filter((c) => c[2] === 'put-image').length;
    expect(puts).toBeGreaterThan(0);
    const second = runAction(fakes, csl, action);
    expect(second.status).toBe(0);
    expect(fakes.calls('aws').filter((c) => c[2] === 'put-image')).toHaveLength(puts);
    expect(fakes.calls('docker').filter((c) => c[1] === 'push')).toEqual([]);
  });

  test('never overwrites an existing tag that names another image', () => {
    const fakes = makeFakes({ aws: FAKE_AWS });
    seed(fakes.state, 'shipment/web', 'c0ffee1', 'sha256:new');
    seed(fakes.state, 'shipment/web', 'prod-c0ffee1', 'sha256:old');
    const run = runAction(fakes, shipment, actionOf(shipment, 'Prod', 'Promote'));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('prod-c0ffee1');
    expect(fakes.calls('aws').filter((c) => c[2] === 'put-image')).toEqual([]);
    expect(fakes.calls('docker').filter((c) => c[1] === 'push')).toEqual([]);
  });

  test('fails when the build never pushed the image', () => {
    const fakes = makeFakes({ aws: FAKE_AWS });
    const run = runAction(fakes, shipment, actionOf(shipment, 'Staging', 'Promote'));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/shipment\/web:c0ffee1/);
  });

  test('a registry error is reported as itself, not taken for an image that was never pushed', () => {
    const denied = `
if [ "$1 $2" = "ecr describe-images" ]; then echo "An error occurred (AccessDeniedException) when calling the DescribeImages operation" >&2; exit 254; fi
${FAKE_AWS}`;
    const fakes = makeFakes({ aws: denied });
    seed(fakes.state, 'shipment/web', 'c0ffee1', 'sha256:new');
    const run = runAction(fakes, shipment, actionOf(shipment, 'Staging', 'Promote'));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('AccessDeniedException');
    expect(run.stderr).not.toContain('did its build push it');
    expect(fakes.calls('aws').filter((c) => c[2] === 'put-image')).toEqual([]);
  });
});

describe('Deploy publishes static assets', () => {
  const fakeCdk = `
if [ "$1" = deploy ]; then
  while [ $# -gt 0 ]; do
    if [ "$1" = --outputs-file ]; then
      echo '{"Csl-Dev-Data":{"AssetsBucketName":"csl-dev-assets-bucket","AssetPublisherRoleArn":"arn:aws:iam::111111111111:role/csl-dev-asset-publisher"},"Shipment-Prod-Data":{"AssetsBucketName":"shipment-prod-assets-bucket","AssetPublisherRoleArn":"arn:aws:iam::666666666666:role/shipment-prod-asset-publisher"}}' > "$2"
    fi
    shift
  done
fi`;

  test('uploads each image’s static files under the paths CloudFront serves, before the services deploy, deleting nothing', () => {
    // The publisher role is refused twice (IAM propagation), then assumed.
    const flakyAssume = `
if [ "$1 $2" = "sts assume-role" ]; then
  n=$(cat "$FAKE_STATE/assumes" 2>/dev/null || echo 0); echo $((n + 1)) > "$FAKE_STATE/assumes"
  if [ "$n" -lt 2 ]; then echo "An error occurred (AccessDenied) when calling the AssumeRole operation" >&2; exit 254; fi
fi
${FAKE_AWS}`;
    const fakes = makeFakes({ aws: flakyAssume, cdk: fakeCdk });
    const action = actionOf(csl, 'Dev', 'Deploy');
    const inputs: Record<string, string> = {};
    for (const input of action.InputArtifacts ?? []) {
      if (input.Name === 'Infra') continue;
      inputs[input.Name] = filesIn(fs.mkdtempSync(path.join(fakes.state, 'in-')), {
        IMAGE: input.Name,
        [`_next/static/chunks/${input.Name}-abc123.js`]: 'js',
        'build/assets/app-9f8e7d.css': 'css',
        'unserved/secret.txt': 'not a static path',
      });
    }
    expect(Object.keys(inputs).length).toBeGreaterThan(0);
    const run = runAction(fakes, csl, action, { inputs, env: { ASSUME_RETRY_SECONDS: '0' } });
    expect(run.status).toBe(0);
    expect(fakes.calls('aws').filter((c) => c[1] === 'sts')).toHaveLength(3);
    const calls = fakes.calls().filter((c) => c[0] === 'aws' || c[0] === 'cdk');
    const copies = calls.filter((c) => c[0] === 'aws' && c[1] === 's3');
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      expect(copy[2]).toBe('cp');
      expect(copy).not.toContain('--delete');
      expect(copy[4]).toMatch(/^s3:\/\/csl-dev-assets-bucket\/(_next\/static|build)\/?$/);
    }
    const uploaded = new Set(copies.map((c) => `${path.relative(fakes.state, c[3]).split('/')[0]}:${c[4]}`));
    for (const dir of Object.values(inputs)) {
      const name = path.relative(fakes.state, dir);
      expect(uploaded).toContain(`${name}:s3://csl-dev-assets-bucket/_next/static/`);
      expect(uploaded).toContain(`${name}:s3://csl-dev-assets-bucket/build/`);
    }
    expect(JSON.stringify(copies)).not.toContain('unserved');
    // Before traffic shifts: the data stack (which holds the bucket) first, the services after.
    const firstUpload = indexOf(calls, (c) => c[0] === 'aws' && c[1] === 's3');
    const dataDeploy = indexOf(calls, (c) => c[0] === 'cdk' && c[1] === 'deploy' && c.includes('Csl-Dev/Data'));
    const fullDeploy = indexOf(calls, (c) => c[0] === 'cdk' && c[1] === 'deploy' && c.includes('Csl-Dev/*'));
    expect(dataDeploy).toBeGreaterThanOrEqual(0);
    expect(dataDeploy).toBeLessThan(firstUpload);
    // As the stage account's publisher role: the bucket policy (origin-access stack) comes later.
    const assume = indexOf(calls, (c) => c[0] === 'aws' && c[1] === 'sts' && c[2] === 'assume-role');
    expect(calls[assume]).toContain('arn:aws:iam::111111111111:role/csl-dev-asset-publisher');
    expect(assume).toBeLessThan(firstUpload);
    expect(firstUpload).toBeLessThan(fullDeploy);
    expect(fakes.calls('aws').filter((c) => ['rm', 'sync', 'delete-object', 'delete-objects'].includes(c[2]))).toEqual(
      [],
    );
  });
});

describe('Image build', () => {
  /** A fake Docker daemon: images built or pulled exist; containers answer from $FAKE_STATE. */
  const fakeDocker = `
case "$1" in
  login) cat >/dev/null ;;
  run) echo "container-$RANDOM" ;;
  create) echo "created-1" ;;
  port) echo "127.0.0.1:49999" ;;
  inspect) cat "$FAKE_STATE/workdir" 2>/dev/null || echo /var/www/html ;;
  exec) shift 2; if [ "$1 $2" = "id -un" ]; then cat "$FAKE_STATE/user"; fi ;;
  cp) src="\${2#*:}"; if [ -d "$FAKE_STATE/image$src" ]; then mkdir -p "$3"; cp -R "$FAKE_STATE/image$src/." "$3"; else echo "Error: Could not find the file $src in container" >&2; exit 1; fi ;;
esac`;
  const healthy = 'exit 0';

  const setUp = (user: string) => {
    const fakes = makeFakes({ aws: FAKE_AWS, docker: fakeDocker, curl: healthy });
    fs.writeFileSync(path.join(fakes.state, 'user'), `${user}\n`);
    filesIn(path.join(fakes.state, 'image'), { 'var/www/html/public/build/assets/app-1.js': 'js' });
    const app = filesIn(fs.mkdtempSync(path.join(fakes.state, 'app-')), { Dockerfile: 'FROM scratch' });
    return { fakes, app };
  };

  test('tests, builds, checks the image contract, then pushes; the static files become an artifact', () => {
    const { fakes, app } = setUp('www-data');
    const action = actionOf(csl, 'Build', 'Image-api');
    const run = runAction(fakes, csl, action, { primary: app });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
    const docker = fakes.calls('docker');
    const builds = docker.filter((c) => c[1] === 'build').map((c) => c[c.indexOf('--target') + 1]);
    expect(builds).toEqual(['test', 'app', 'nginx']);
    const contract = indexOf(docker, (c) => c[1] === 'run' && c.includes('--user') && c.includes('www-data'));
    const firstPush = indexOf(docker, (c) => c[1] === 'push');
    expect(contract).toBeGreaterThan(0);
    expect(docker[contract]).toContain('--read-only');
    // Scratch paths as volumes (the image's VOLUME ownership, as on ECS), never tmpfs, which
    // any user may write and so would pass an image that fails on Fargate.
    expect(docker[contract]).not.toContain('--tmpfs');
    expect(docker[contract][docker[contract].indexOf('-v') + 1]).toBe('/var/www/html/storage');
    expect(firstPush).toBeGreaterThan(contract);
    expect(fakes.calls('curl').map((c) => c[c.length - 1])).toContain('http://127.0.0.1:49999/up');
    const out = (action.OutputArtifacts ?? [])[0];
    expect(out).toBeDefined();
  });

  test('fails before pushing when the image does not run as the configured user', () => {
    const { fakes, app } = setUp('root');
    const run = runAction(fakes, csl, actionOf(csl, 'Build', 'Image-api'), { primary: app });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('www-data');
    expect(fakes.calls('docker').filter((c) => c[1] === 'push')).toEqual([]);
  });

  test('fails before pushing when the image does not answer its health path', () => {
    const { fakes, app } = setUp('www-data');
    fs.writeFileSync(path.join(fakes.bin, 'curl'), '#!/usr/bin/env bash\nexit 22\n');
    const run = runAction(fakes, csl, actionOf(csl, 'Build', 'Image-api'), { primary: app });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('/up');
    expect(fakes.calls('docker').filter((c) => c[1] === 'push')).toEqual([]);
  });

  test('a re-run for a commit already pushed builds and pushes nothing (tags are immutable)', () => {
    const { fakes, app } = setUp('www-data');
    filesIn(path.join(fakes.state, 'ecr'), {
      'csl/api/c0ffee1': 'sha256:a\n',
      'csl/api-nginx/c0ffee1': 'sha256:b\n',
    });
    const run = runAction(fakes, csl, actionOf(csl, 'Build', 'Image-api'), { primary: app });
    expect(run.status).toBe(0);
    const docker = fakes.calls('docker');
    expect(docker.filter((c) => c[1] === 'build' || c[1] === 'push')).toEqual([]);
    expect(docker.filter((c) => c[1] === 'pull').length).toBeGreaterThan(0);
  });

  test('a re-run after a half-finished push pulls the pushed app, builds and pushes only the sidecar', () => {
    const { fakes, app } = setUp('www-data');
    filesIn(path.join(fakes.state, 'ecr'), { 'csl/api/c0ffee1': 'sha256:a\n' });
    const run = runAction(fakes, csl, actionOf(csl, 'Build', 'Image-api'), { primary: app });
    expect(run.stderr).not.toMatch(/ImageTagAlreadyExists/);
    expect(run.status).toBe(0);
    const docker = fakes.calls('docker');
    expect(docker.filter((c) => c[1] === 'build').map((c) => c[c.indexOf('--target') + 1])).toEqual(['nginx']);
    expect(docker.filter((c) => c[1] === 'pull').map((c) => c[2])).toEqual([
      expect.stringMatching(/csl\/api:c0ffee1$/),
    ]);
    expect(docker.filter((c) => c[1] === 'push').map((c) => c[2])).toEqual([
      expect.stringMatching(/csl\/api-nginx:c0ffee1$/),
    ]);
  });
});

describe('Smoke', () => {
  test('requests each public host’s health path and fails when one does not answer', () => {
    const action = actionOf(csl, 'Prod', 'Smoke');
    const ok = makeFakes();
    expect(runAction(ok, csl, action).status).toBe(0);
    expect(ok.calls('curl').map((c) => c[c.length - 1])).toEqual([
      'https://api.cfpcsl.com/up',
      'https://certification.cfpcsl.com/',
      'https://admin.cfpcsl.com/',
    ]);
    const down = makeFakes({ curl: 'case "$*" in *certification*) exit 22 ;; esac' });
    expect(runAction(down, csl, action).status).not.toBe(0);
  });
});

describe('Deploy without the assets bucket output', () => {
  test('stops before deploying the services, naming the missing output', () => {
    const fakes = makeFakes({ aws: FAKE_AWS });
    const run = runAction(fakes, shipment, actionOf(shipment, 'Dev', 'Deploy'));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('AssetsBucketName');
    expect(fakes.calls('cdk').filter((c) => c.includes('Shipment-Dev/*'))).toEqual([]);
  });
});
