import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { ImageConfig, ServiceConfig } from '../../../config';
import { NextjsService } from '../../../lib/services/nextjs-service';
import { containers } from '../../helpers';
import { bareStage, DEPLOYMENT } from '../deployment/bare-web-service';

const IMAGE: ImageConfig = { repository: 'owner/shop', runtime: 'nextjs', user: 'node', readonlyRootFilesystem: true };
const SERVICE: ServiceConfig = {
  kind: 'nextjs',
  image: 'shop',
  host: 'shop',
  environment: { CHECKOUT_URL: 'https://pay.example.com' },
  uses: [],
  cpu: 512,
  memoryMiB: 1024,
  minTasks: 2,
  maxTasks: 4,
};

/** A NextjsService `Shop` for shop.example.com on a bare stage. */
function build(service: Partial<ServiceConfig> = {}) {
  const stage = bareStage(['shop.example.com']);
  const { stack, vpc, cluster, loadBalancer } = stage;
  const group = new ec2.SecurityGroup(stack, 'ShopSecurityGroup', { vpc });
  const shop = new NextjsService(stack, 'Shop', {
    name: 'shop',
    service: { ...SERVICE, ...service },
    image: IMAGE,
    host: 'shop.example.com',
    apiHost: 'api.example.com',
    deployment: DEPLOYMENT,
    scaling: { cpuTargetPercent: 60, requestsPerTarget: 500, messagesPerWorker: 100, spot: false },
    cluster,
    securityGroups: { of: (name) => (name === 'shop' ? group : undefined!) },
    loadBalancer,
    repository: ecr.Repository.fromRepositoryAttributes(stack, 'Repo', {
      repositoryName: 'shop',
      repositoryArn: 'arn:aws:ecr:eu-west-1:222222222222:repository/shop',
    }),
    imageTag: 'c0ffee1',
    logRetention: 30,
    vpc,
    logRemovalPolicy: RemovalPolicy.DESTROY,
  });
  return { stack, shop, group, template: Template.fromStack(stack) };
}

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
const only = (t: Template, type: string, prefix = ''): Resource => {
  const found = Object.entries(t.findResources(type)).filter(([lid]) => lid.startsWith(prefix));
  expect(found).toHaveLength(1);
  return found[0][1] as Resource;
};
const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

describe('NextjsService', () => {
  let built: ReturnType<typeof build>;
  let t: Template;
  beforeAll(() => {
    built = build();
    t = built.template;
  });

  test('the Next.js server on 3000, non-root and read-only with .next/cache and /tmp writable, checked over HTTP', () => {
    const [server] = containers(t, 'ShopTask');
    expect(server).toEqual(
      expect.objectContaining({
        Name: 'App',
        User: 'node',
        ReadonlyRootFilesystem: true,
        PortMappings: [expect.objectContaining({ ContainerPort: 3000 })],
      }),
    );
    expect((server.MountPoints as { ContainerPath: string }[]).map((m) => m.ContainerPath)).toEqual([
      '/app/.next/cache',
      '/tmp',
    ]);
    expect(JSON.stringify(server.HealthCheck)).toContain("http://127.0.0.1:3000/'");
    expect(JSON.stringify(server.Image)).toContain('shop:c0ffee1');
  });

  test('gets its URL, the API’s and its own environment at run time', () => {
    const env = Object.fromEntries((containers(t, 'ShopTask')[0].Environment ?? []).map((e) => [e.Name, e.Value]));
    expect(env).toEqual(
      expect.objectContaining({
        NODE_ENV: 'production',
        PORT: '3000',
        SITE_URL: 'https://shop.example.com',
        API_BASE_URL: 'https://api.example.com/api',
        CHECKOUT_URL: 'https://pay.example.com',
      }),
    );
  });

  test('runs with its own security group, behind the load balancer on its host', () => {
    const service = only(t, 'AWS::ECS::Service');
    expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups).toEqual([
      { 'Fn::GetAtt': [logicalId(built.stack, built.group), 'GroupId'] },
    ]);
    expect(service.Properties.LoadBalancers).toEqual([
      expect.objectContaining({ ContainerName: 'App', ContainerPort: 3000 }),
    ]);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 3000, HealthCheckPath: '/' });
  });

  test('deploys blue/green without migrations, smoke-testing its health path and smoke paths; its task definitions stay', () => {
    const withPaths = build({ healthCheckPath: '/healthz', smokePaths: ['/products'] }).template;
    const appspec = JSON.stringify(only(withPaths, 'Custom::EcsDeployment').Properties.revisionAppSpecContent);
    expect(appspec).not.toMatch(/BeforeInstall/);
    expect(appspec).toMatch(/AfterAllowTestTraffic.*ShopBlueGreenSmokeTest/);
    expect(only(withPaths, 'AWS::Lambda::Function', 'ShopBlueGreenSmokeTest').Properties.Environment.Variables).toEqual(
      expect.objectContaining({ HOST: 'shop.example.com', PATHS: '["/healthz","/products"]' }),
    );
    expect(only(t, 'AWS::Lambda::Function', 'ShopBlueGreenSmokeTest').Properties.Environment.Variables.PATHS).toBe(
      '["/"]',
    );
    expect(only(t, 'AWS::ECS::TaskDefinition').DeletionPolicy).toBe('Retain');
    expect(built.shop.blueGreen.web.service).toBe(built.shop.service);
  });

  test('listens on the port config names', () => {
    const [server] = containers(build({ port: 8080 }).template, 'ShopTask');
    expect(server.PortMappings).toEqual([expect.objectContaining({ ContainerPort: 8080 })]);
  });

  test('refuses a service that is not a Next.js one', () => {
    expect(() => build({ kind: 'laravel-web' })).toThrow(/'shop' is a laravel-web service, not a Next.js one/);
  });
});
