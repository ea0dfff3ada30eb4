/**
 * The migration state machine's own deadline. Step Functions runs no Catch when an execution
 * times out (AWS Step Functions developer guide, "Error handling": `States.Timeout` of the
 * execution cannot be caught), so the state machine must end before its TimeoutSeconds: every
 * step passes the execution's start time (`$$.Execution.StartTime`, always present) and the
 * hook's budget, and a step called past that deadline throws {@link DeadlineExceededError},
 * which the state machine catches and reports to CodeDeploy as Failed.
 */

/** What every step of the migration state machine passes besides its own fields. */
export interface DeadlineFields {
  /** `$$.Execution.StartTime`: ISO 8601 time the execution started. */
  readonly startedAt?: string;
  /** Seconds the whole BeforeInstall hook may take, from `startedAt`. */
  readonly budgetSeconds?: number;
}

/** The hook ran out of time: the deployment must stop now, not when CodeDeploy gives up. */
export class DeadlineExceededError extends Error {
  constructor(what: string, budgetSeconds: number) {
    super(`${what}: the deployment's BeforeInstall budget of ${budgetSeconds} s is spent; failing the deployment now`);
    this.name = 'DeadlineExceededError';
  }
}

/** Epoch milliseconds by which the execution must have reported; undefined when not given. */
export function executionDeadline(fields: DeadlineFields): number | undefined {
  if (!fields.startedAt || fields.budgetSeconds === undefined) return undefined;
  const start = Date.parse(fields.startedAt);
  if (Number.isNaN(start)) throw new Error(`startedAt must be an ISO 8601 time, got '${fields.startedAt}'`);
  return start + fields.budgetSeconds * 1000;
}

/** Throws {@link DeadlineExceededError} once the execution's deadline has passed. */
export function assertBeforeDeadline(fields: DeadlineFields, now: number, what: string): void {
  const deadline = executionDeadline(fields);
  if (deadline !== undefined && now > deadline) throw new DeadlineExceededError(what, fields.budgetSeconds!);
}
