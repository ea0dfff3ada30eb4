/**
 * Generates the architecture diagram of each system from its configuration (Mermaid, which
 * GitHub and most Markdown viewers render): `npm run docs` writes docs/architecture-<system>.md.
 * A test regenerates them and fails when the committed files are stale.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadConfigs, SYSTEMS, type ResolvedConfig } from '../config';
import { DOCS_DIR } from '../lib/shared/paths';
import { resolveHost } from '../config/names';

const KIND_LABEL: Record<string, string> = {
  'laravel-web': 'Laravel web',
  'laravel-worker': 'queue worker',
  'laravel-scheduler': 'scheduler (schedule:work)',
  nextjs: 'Next.js server :3000',
};

/** A Mermaid node id: letters and digits only. */
const node = (name: string) => name.replace(/[^A-Za-z0-9]/g, '_');

/** The Mermaid flowchart of one system, drawn from its prod configuration. */
export function diagram(config: ResolvedConfig): string {
  const lines = ['flowchart LR'];
  const add = (line: string) => lines.push(`  ${line}`);
  add('users([Users]) --> cf["CloudFront + WAF<br/>(us-east-1 certificate)"]');
  add('cf -->|VPC origin, HTTPS| alb["Internal ALB<br/>443 prod · 8443 test"]');
  if (config.cdn.staticPaths.length > 0) {
    add(`cf -->|"${config.cdn.staticPaths.join(', ')}"| assets[("S3 static assets<br/>(OAC)")]`);
  }

  add('subgraph ecs["ECS Fargate cluster"]');
  for (const [name, s] of Object.entries(config.services)) {
    const image = config.images[s.image];
    const runtime =
      image.runtime === 'laravel'
        ? `PHP ${image.phpVersion ?? ''}${s.kind === 'laravel-web' ? (image.nginxSidecar ? ', nginx + PHP-FPM' : ', nginx + PHP-FPM in one image') : ''}`
        : 'Node.js';
    const tasks =
      s.minTasks === s.maxTasks
        ? `${s.minTasks} task${s.minTasks === 1 ? '' : 's'}`
        : `${s.minTasks}–${s.maxTasks} tasks`;
    add(`  ${node(name)}["${name}<br/>${KIND_LABEL[s.kind]}<br/>${runtime}<br/>${tasks}"]`);
  }
  add('end');
  for (const [name, s] of Object.entries(config.services)) {
    if (s.host) add(`alb -->|${resolveHost(s.host, config.domainName)}| ${node(name)}`);
  }

  add('subgraph data["Data stack (retained)"]');
  if (config.mysql) {
    const replicas = config.mysql.readReplicas;
    add(
      `  mysql[("RDS MySQL ${config.mysql.engineVersion}<br/>${config.mysql.multiAz ? 'Multi-AZ' : 'single-AZ'}${replicas ? ` + ${replicas} read replica${replicas > 1 ? 's' : ''}` : ''}")]`,
    );
  }
  if (config.postgres) add(`  postgres[("RDS PostgreSQL ${config.postgres.engineVersion}")]`);
  if (config.redis) {
    add(
      `  redis[("ElastiCache ${config.redis.engine} ${config.redis.engineVersion}<br/>${config.redis.clusterMode ? `cluster mode, ${config.redis.shards} shards` : 'no cluster mode'}")]`,
    );
  }
  if (config.rabbitmq)
    add(`  rabbitmq[("Amazon MQ RabbitMQ ${config.rabbitmq.engineVersion}<br/>${config.rabbitmq.deploymentMode}")]`);
  add('  uploads[("S3 uploads")]');
  add('end');
  for (const [name, db] of Object.entries(config.externalDatabases)) {
    add(`${node(name)}[("${name} (external, read-only)<br/>${db.host}:${db.port}")]`);
  }
  for (const [name, s] of Object.entries(config.services)) {
    for (const use of s.uses) add(`${node(name)} --> ${node(use)}`);
  }

  add('subgraph delivery["Delivery (tooling account)"]');
  add('  pipeline["CodePipeline V2<br/>push to main → dev → staging → approval → prod"]');
  add('  codedeploy["CodeDeploy blue/green<br/>snapshot · migrations · smoke test"]');
  add('end');
  add('pipeline --> codedeploy');
  const web = Object.entries(config.services).filter(([, s]) => s.host);
  for (const [name] of web) add(`codedeploy -.-> ${node(name)}`);
  return lines.join('\n');
}

/** The Markdown page of one system's diagram. */
export function page(system: string): string {
  const [prod] = loadConfigs({ systems: [system], stages: ['prod'] });
  return [
    `# ${system}: architecture`,
    '',
    `Generated from \`config/systems/${system}.ts\` (prod) by \`npm run docs\`; do not edit by hand.`,
    '',
    '```mermaid',
    diagram(prod),
    '```',
    '',
  ].join('\n');
}

/** Where a system's page lives. */
export function pagePath(system: string): string {
  return path.join(DOCS_DIR, `architecture-${system}.md`);
}

if (require.main === module) {
  for (const system of SYSTEMS) {
    fs.writeFileSync(pagePath(system.name), page(system.name));
    console.log(`wrote ${path.relative(process.cwd(), pagePath(system.name))}`);
  }
}
