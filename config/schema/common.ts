import { z } from 'zod';
import { closestName } from '../closest';
import { REGIONS } from '../aws-tables';
import { cidrProblem } from '../ipv4';

/**
 * Building blocks every part of the schema uses: name patterns, one-of-a-table values, CIDR
 * blocks, retention days, secret references.
 */

/** A 12-digit AWS account id. */
export const ACCOUNT = /^\d{12}$/;
/** A lower-case name: systems, stages, images, services, external databases. */
export const NAME = /^[a-z][a-z0-9-]{0,30}$/;
/** An environment variable name as the services use them: upper case, digits and `_`. */
export const ENV_KEY = /^[A-Z_][A-Z0-9_]*$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/;
/** A container image tag. */
export const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;

/** A whole number above zero. */
export const positiveInt = z.number().int().positive();

/** A 12-digit account id. */
export const account = z.string().regex(ACCOUNT, 'must be a 12-digit AWS account id');

/** A lower-case name key or value. */
export const lowerName = z.string().regex(NAME, 'must be a lower-case name');

/** An upper-case variable name; the message names the key and the name to use. */
export const envKey = z.string().regex(ENV_KEY, {
  error: (iss) => {
    const key = String(iss.input);
    const fixed = key.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    return `'${key}' is not an upper-case variable name (rename it to '${/^[0-9]/.test(fixed) ? `_${fixed}` : fixed}')`;
  },
});

/** An IPv4 CIDR block whose prefix lies between the two given lengths. */
export const cidr = (minPrefix: number, maxPrefix: number) =>
  z.string().superRefine((value, ctx) => {
    const problem = cidrProblem(value, minPrefix, maxPrefix);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** One of a table's values; the message names the nearest one when the value looks like a typo. */
export const oneOf = (what: string, table: readonly string[], example: string) =>
  z.string().superRefine((value, ctx) => {
    if (table.includes(value)) return;
    const guess = closestName(value, table);
    ctx.addIssue({
      code: 'custom',
      message: guess
        ? `'${value}' is not ${what} (did you mean '${guess}'?)`
        : `'${value}' is not ${what} (e.g. '${example}'; the list is in config/aws-tables.ts)`,
    });
  });

/** A commercial AWS region of `aws-tables.ts`. */
export const region = oneOf('an AWS region', REGIONS, 'eu-west-1');

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** A retention CloudWatch Logs accepts. */
export const logRetentionDays = z.number().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
  error: (iss) =>
    `${String(iss.input)} is not a CloudWatch Logs retention; pick one of ${LOG_RETENTION_DAYS.join(', ')}`,
});

/** A reference to an existing Secrets Manager secret: by name or by full ARN, never by value. */
export const secretRefSchema = z.union(
  [
    z.strictObject({ secretName: z.string().min(1) }),
    z.strictObject({ secretArn: z.string().regex(SECRET_ARN, 'must be a Secrets Manager secret ARN') }),
  ],
  { error: "give either { secretName: '...' } or { secretArn: 'arn:aws:secretsmanager:...' }" },
);

/**
 * An application secret (mail password, payment or OAuth key) from an existing Secrets Manager
 * secret, by name or ARN, optionally one JSON key of it. `keyArn` names the customer-managed
 * KMS key that encrypts it, when there is one; without it the execution role may decrypt with
 * any key of the account, but only through Secrets Manager and only for this secret.
 */
export const appSecretSchema = z.union(
  [
    z.strictObject({
      secretName: z.string().min(1),
      jsonKey: z.string().min(1).optional(),
      keyArn: z.string().regex(KMS_KEY_ARN, 'must be a KMS key ARN').optional(),
    }),
    z.strictObject({
      secretArn: z.string().regex(SECRET_ARN, 'must be a Secrets Manager secret ARN'),
      jsonKey: z.string().min(1).optional(),
      keyArn: z.string().regex(KMS_KEY_ARN, 'must be a KMS key ARN').optional(),
    }),
  ],
  {
    error: (iss) =>
      typeof iss.input === 'string'
        ? "plaintext secret values are not allowed; store the value in Secrets Manager and write { secretName: '...', jsonKey?: '...' }"
        : "give { secretName: '...' } or { secretArn: 'arn:aws:secretsmanager:...' }, optionally with jsonKey and keyArn",
  },
);
