/**
 * How long one `cdk deploy` of a web service may take, worst case, and the limit it must stay
 * inside.
 *
 * `cdk deploy` waits for each blue/green deployment through a custom resource
 * (`Custom::EcsDeployment`), and CloudFormation waits at most one hour for a custom resource:
 * `ServiceTimeout` "must be an integer from 1 to 3600. The default value is 3600 seconds"
 * (CloudFormation template reference, AWS::CloudFormation::CustomResource). Past it the
 * resource fails, the stack rolls back, and its rollback starts a second CodeDeploy deployment
 * while the first is still active. The budget keeps five minutes of that hour in hand.
 *
 * What `cdk deploy` waits for ends when production traffic is fully on green: the waiter
 * (`lambda/deployment-waiter`) does not wait out the termination wait, during which CodeDeploy
 * keeps the deployment `InProgress` until blue is terminated.
 */

/** The most a deployment may take, in minutes: CloudFormation's 60 minus a margin. */
export const MAX_DEPLOY_MINUTES = 55;

/**
 * Minutes the migration task may take to be placed and pulled before `php artisan migrate`
 * starts, and the state machine's own steps: Fargate starts a task in one to two minutes.
 */
export const MIGRATION_START_MINUTES = 3;

/** Minutes CodeDeploy needs to start green's tasks and see them pass two health checks. */
export const REPLACEMENT_START_MINUTES = 5;

/** Minutes the AfterAllowTestTraffic smoke test may run (its Lambda timeout). */
export const SMOKE_TEST_MINUTES = 2;

/** Minutes between the waiter's polls and the report reaching CloudFormation. */
export const WAITER_MINUTES = 1;

/** Minutes each traffic-shifting option takes from first to last shift. */
export const SHIFTING_MINUTES = {
  'all-at-once': 0,
  // 10 % for five minutes, then the rest.
  'canary-10-5': 5,
  // 10 % more every minute: ten steps.
  'linear-10-1': 10,
} as const;

/** The deployment settings the budget reads. */
export interface DeploymentTimes {
  readonly trafficShifting: keyof typeof SHIFTING_MINUTES;
  readonly snapshotTimeoutMinutes: number;
  readonly migrationTimeoutMinutes: number;
  readonly timeoutMinutes: number;
}

/**
 * Minutes the BeforeInstall hook (snapshot, then migrations) may take before the migration
 * state machine reports Failed on its own.
 */
export function hookBudgetMinutes(d: DeploymentTimes): number {
  return d.snapshotTimeoutMinutes + MIGRATION_START_MINUTES + d.migrationTimeoutMinutes;
}

/** The worst case of one deployment, part by part, as a sum a person can check. */
export function deploymentWorstCase(d: DeploymentTimes): { total: number; arithmetic: string } {
  const parts: [number, string][] = [
    [d.snapshotTimeoutMinutes, 'snapshot'],
    [MIGRATION_START_MINUTES, 'migration task start'],
    [d.migrationTimeoutMinutes, 'migrations'],
    [REPLACEMENT_START_MINUTES, 'green tasks healthy'],
    [SMOKE_TEST_MINUTES, 'smoke test'],
    [SHIFTING_MINUTES[d.trafficShifting], `shifting (${d.trafficShifting})`],
    [WAITER_MINUTES, 'waiter'],
  ];
  const total = parts.reduce((sum, [minutes]) => sum + minutes, 0);
  return { total, arithmetic: `${parts.map(([m, what]) => `${m} ${what}`).join(' + ')} = ${total} min` };
}

/**
 * What is wrong with a stage's deployment times, as `[path, message]` pairs for the schema's
 * issues; empty when the worst case fits.
 */
export function deploymentBudgetIssues(d: DeploymentTimes): [string[], string][] {
  const { total, arithmetic } = deploymentWorstCase(d);
  const issues: [string[], string][] = [];
  if (total > MAX_DEPLOY_MINUTES) {
    issues.push([
      ['deployment', 'migrationTimeoutMinutes'],
      `worst case ${arithmetic} exceeds ${MAX_DEPLOY_MINUTES} min (CloudFormation waits at most 60 min for the deployment's custom resource); lower migrationTimeoutMinutes or snapshotTimeoutMinutes by ${total - MAX_DEPLOY_MINUTES}, or shift traffic faster`,
    ]);
  } else if (d.timeoutMinutes < total) {
    issues.push([
      ['deployment', 'timeoutMinutes'],
      `${d.timeoutMinutes} min is shorter than the worst case ${arithmetic}; set timeoutMinutes between ${total} and ${MAX_DEPLOY_MINUTES}`,
    ]);
  }
  return issues;
}
