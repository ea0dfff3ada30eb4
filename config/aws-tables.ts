/**
 * Values AWS constrains, kept in one place so config can reject what AWS would refuse at deploy
 * time, and say what it accepts instead. Checked against AWS's pages on 2026-11-25; when AWS
 * adds a region, class or version, add it here (and nothing else needs to change).
 *
 * Sources:
 * - Regions: the region list of aws-cdk-lib 2.276's `region-info` (commercial partition).
 *   Zone letters: the per-region zone names of the AWS "Regions and Availability Zones" page;
 *   letters map to physical zones per account, so the table allows every letter a region has.
 * - Fargate: "Task CPU and memory" in the Amazon ECS developer guide (task-cpu-memory-error.html).
 * - RDS PostgreSQL 15: the minor versions aws-cdk-lib 2.276 knows (`PostgresEngineVersion`),
 *   from 15.10 on; older 15.x minors are past RDS's standard support on the release calendar.
 * - ElastiCache: "Supported engines and versions" (engine-versions.html): Valkey 7.2–9.1,
 *   Redis OSS 6.2–7.1.
 * - Amazon MQ: "Managing Amazon MQ for RabbitMQ engine versions": 3.13 on mq.t3, mq.m5 and
 *   mq.m7g; 4.2 on mq.m7g only. mq.t3.micro runs single-instance brokers only ("Broker instance
 *   types").
 * - Instance classes: the RDS "DB instance classes" and ElastiCache "Supported node types" pages,
 *   current generations only (families and sizes below).
 */

/** Availability-zone letters per commercial region. */
export const REGION_ZONES: Readonly<Record<string, string>> = {
  'af-south-1': 'abc',
  'ap-east-1': 'abc',
  'ap-east-2': 'abc',
  'ap-northeast-1': 'acd',
  'ap-northeast-2': 'abcd',
  'ap-northeast-3': 'abc',
  'ap-south-1': 'abc',
  'ap-south-2': 'abc',
  'ap-southeast-1': 'abc',
  'ap-southeast-2': 'abc',
  'ap-southeast-3': 'abc',
  'ap-southeast-4': 'abc',
  'ap-southeast-5': 'abc',
  'ap-southeast-6': 'abc',
  'ap-southeast-7': 'abc',
  'ca-central-1': 'abd',
  'ca-west-1': 'abc',
  'eu-central-1': 'abc',
  'eu-central-2': 'abc',
  'eu-north-1': 'abc',
  'eu-south-1': 'abc',
  'eu-south-2': 'abc',
  'eu-west-1': 'abc',
  'eu-west-2': 'abc',
  'eu-west-3': 'abc',
  'il-central-1': 'abc',
  'me-central-1': 'abc',
  'me-south-1': 'abc',
  'mx-central-1': 'abc',
  'sa-east-1': 'abc',
  'us-east-1': 'abcdef',
  'us-east-2': 'abc',
  'us-west-1': 'abc',
  'us-west-2': 'abcd',
};

/** Every region this app may deploy to. */
export const REGIONS: readonly string[] = Object.keys(REGION_ZONES);

/** Fargate task CPU units and the memory sizes (MiB) each allows. */
export const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
};

/** RDS for PostgreSQL 15 minor versions offered for new instances. */
export const POSTGRES_VERSIONS: readonly string[] = ['15.10', '15.12', '15.13', '15.14', '15.15', '15.16', '15.17'];

/** ElastiCache engine versions (`major.minor`) per engine. */
export const CACHE_VERSIONS: Readonly<Record<'valkey' | 'redis', readonly string[]>> = {
  valkey: ['7.2', '8.0', '8.1', '8.2', '9.0', '9.1'],
  redis: ['6.2', '7.0', '7.1'],
};

/** Amazon MQ for RabbitMQ versions and the instance families each runs on. */
export const RABBITMQ_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  '3.13': ['t3', 'm5', 'm7g'],
  '4.2': ['m7g'],
};

/** Amazon MQ broker instance types. */
export const MQ_INSTANCE_TYPES: readonly string[] = [
  'mq.t3.micro',
  ...['large', 'xlarge', '2xlarge', '4xlarge'].map((s) => `mq.m5.${s}`),
  ...['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'].map((s) => `mq.m7g.${s}`),
];

const BURSTABLE = ['micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'];
const GENERAL = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];

/** RDS DB instance classes without the `db.` prefix (`t4g.micro`, `m7g.large`, ...). */
export const RDS_INSTANCE_CLASSES: readonly string[] = [
  ...['t3', 't4g'].flatMap((f) => BURSTABLE.map((s) => `${f}.${s}`)),
  ...['m5', 'm6g', 'm6i', 'm7g', 'm7i', 'm8g', 'r5', 'r6g', 'r6i', 'r7g', 'r7i', 'r8g'].flatMap((f) =>
    GENERAL.map((s) => `${f}.${s}`),
  ),
];

/** ElastiCache node types (`cache.t4g.micro`, ...). */
export const CACHE_NODE_TYPES: readonly string[] = [
  ...['t3', 't4g'].flatMap((f) => ['micro', 'small', 'medium'].map((s) => `cache.${f}.${s}`)),
  ...['m5', 'm6g', 'm7g', 'r6g', 'r7g'].flatMap((f) => GENERAL.map((s) => `cache.${f}.${s}`)),
];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/**
 * The closest of `candidates` to `word` by edit distance, when it is close enough to be a typo.
 *
 * @returns the candidate, or undefined when nothing is near
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions counted as one edit (`eu-wset-1`). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
