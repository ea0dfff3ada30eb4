/**
 * Names the migration state machine (`lib/deployment/migrations.ts`) and its handlers share.
 * No SDK imports: the CDK app imports this file at synth time.
 */

/** The Fail state's error once the state machine has reported Failed to CodeDeploy itself. */
export const REPORTED_ERROR = 'Migrations.Reported';

/** The Fail state's error when its report did not reach CodeDeploy: the stopped-execution rule reports. */
export const NOT_REPORTED_ERROR = 'Migrations.NotReported';
