/**
 * The application's own database users, created and granted by the deploy path.
 *
 * Laravel logs in as an application user (`app`), not as the RDS master user, so that its
 * password can rotate with Secrets Manager's alternating-users scheme: the rotation function
 * (`SecretsManagerRDS<Engine>RotationMultiUser`) switches the secret between `app` and a clone
 * `app_clone` that it creates with the same grants, and changes the password of the user that is
 * *not* current, so the credentials a running task holds stay valid until the rotation after next.
 *
 * Nothing in this repository can open a MySQL or PostgreSQL connection (no client package is
 * installed, and the RDS Data API serves only Aurora), but every Laravel image has PHP and PDO.
 * So the first step of the migration task, which runs before every web deployment takes traffic,
 * is a short PHP program ({@link bootstrapPhp}) that connects as the master user and makes the
 * secret's current user exist with the secret's current password and the grants on the app's
 * database only. It is idempotent: a retried or repeated deployment changes nothing.
 */

import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** What the bootstrap needs of a database: its name and the master user's secret. */
export interface BootstrappedDatabase {
  /** The database the app user gets rights on. */
  readonly databaseName: string;
  /** The master user's secret (`username`, `password`). */
  readonly secret: secretsmanager.ISecret;
}

/** The name of the application user; the rotation function adds `_clone` for the other one. */
export const APP_USERNAME = 'app';

/** The suffix AWS's multi-user rotation functions append to the user they alternate with. */
export const CLONE_SUFFIX = '_clone';

/** One database the bootstrap prepares: engine, Laravel connection prefix and database name. */
export interface DatabaseUserTarget {
  readonly engine: 'mysql' | 'postgres';
  /** Prefix of the Laravel variables of this connection: `DB` or `DB_PGSQL`. */
  readonly envPrefix: string;
  /** The database the user gets rights on, and no other. */
  readonly database: string;
}

/**
 * The statements that make `{user}` exist with password `{password}` and rights on the
 * target's database only. `{user}` is an identifier checked against `^[a-z][a-z0-9_]*$` before
 * substitution; `{password}` is replaced by the driver's quoted literal.
 */
export function bootstrapStatements(target: DatabaseUserTarget): string[] {
  const db = target.database;
  if (target.engine === 'mysql') {
    return [
      // IF NOT EXISTS / ALTER: setting the password the secret calls current is a no-op when it
      // already is, and repairs a user restored from an older snapshot.
      `CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY {password} REQUIRE SSL`,
      `ALTER USER '{user}'@'%' IDENTIFIED BY {password} REQUIRE SSL`,
      `GRANT ALL PRIVILEGES ON \`${db}\`.* TO '{user}'@'%'`,
    ];
  }
  const base = APP_USERNAME;
  const clone = `${APP_USERNAME}${CLONE_SUFFIX}`;
  return [
    `DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') THEN CREATE ROLE "{user}" LOGIN; END IF; END$$`,
    `ALTER ROLE "{user}" WITH LOGIN PASSWORD {password}`,
    `GRANT CONNECT, CREATE, TEMPORARY ON DATABASE "${db}" TO "{user}"`,
    'GRANT USAGE, CREATE ON SCHEMA public TO "{user}"',
    // Tables belong to whoever created them. The rotation function makes the clone a member of
    // the base user (GRANT app TO app_clone), so whichever of the two is current may alter what
    // the base user owns: keep everything the migrations created, as the master (before this
    // scheme) or as the clone, owned by the base user.
    `GRANT "{user}" TO CURRENT_USER`,
    ...[base, clone].map(
      (role) =>
        `DO $$BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN EXECUTE 'GRANT "${role}" TO ' || quote_ident(CURRENT_USER); END IF; END$$`,
    ),
    // Migrations that run as the clone leave their new tables owned by the clone until the next
    // bootstrap; after the next rotation the base user (not a member of the clone) would be
    // refused them. Default privileges grant each user everything on what the other creates.
    // "You can change default privileges only for objects that will be created by yourself or
    // by roles that you are a member of" (PostgreSQL, ALTER DEFAULT PRIVILEGES): the RDS master
    // is no superuser, so it was made a member of both above.
    [
      `DO $$BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '${base}')`,
      `AND EXISTS (SELECT FROM pg_roles WHERE rolname = '${clone}') THEN`,
      ...[
        [base, clone],
        [clone, base],
      ].flatMap(([owner, other]) => [
        `EXECUTE 'ALTER DEFAULT PRIVILEGES FOR ROLE "${owner}" IN SCHEMA public GRANT ALL ON TABLES TO "${other}"';`,
        `EXECUTE 'ALTER DEFAULT PRIVILEGES FOR ROLE "${owner}" IN SCHEMA public GRANT ALL ON SEQUENCES TO "${other}"';`,
      ]),
      'END IF; END$$',
    ].join(' '),
    [
      'DO $$DECLARE r record; BEGIN',
      `IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${base}') THEN RETURN; END IF;`,
      'FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c',
      'JOIN pg_namespace n ON n.oid = c.relnamespace',
      `WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) IN (CURRENT_USER, '${clone}')`,
      "AND (c.relkind IN ('r', 'p', 'v', 'm') OR (c.relkind = 'S' AND NOT EXISTS",
      "(SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))))",
      "LOOP EXECUTE format('ALTER %s %s OWNER TO %I', CASE r.relkind WHEN 'S' THEN 'SEQUENCE'",
      "WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,",
      `r.name, '${base}'); END LOOP; END$$`,
    ].join(' '),
  ];
}

/** Replaces `{user}` and `{password}` as the PHP program does (the password already quoted). */
export function substitute(statement: string, user: string, quotedPassword: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(user)) throw new Error(`refusing database user name '${user}'`);
  return statement.split('{user}').join(user).split('{password}').join(quotedPassword);
}

/**
 * The PHP program the migration task runs first (`php -r "$DB_USERS_BOOTSTRAP"`). For each
 * target it connects as the master user over TLS (`<PREFIX>_ADMIN_USERNAME`/`_PASSWORD`), and
 * runs {@link bootstrapStatements} for the app user of `<PREFIX>_USERNAME`/`_PASSWORD`.
 */
export function bootstrapPhp(targets: readonly DatabaseUserTarget[]): string {
  const plan = targets.map((t) => ({ engine: t.engine, prefix: t.envPrefix, statements: bootstrapStatements(t) }));
  return [
    `$plan = json_decode(${phpString(JSON.stringify(plan))}, true);`,
    'foreach ($plan as $t) {',
    '  $e = fn ($k) => getenv($t["prefix"] . "_" . $k);',
    '  $user = $e("USERNAME");',
    '  if (!preg_match("/^[a-z][a-z0-9_]*$/", $user)) { fwrite(STDERR, "bad user name\\n"); exit(1); }',
    '  $options = [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION];',
    '  if ($t["engine"] === "mysql") {',
    '    $dsn = "mysql:host=" . $e("HOST") . ";port=" . $e("PORT");',
    '    $options[PDO::MYSQL_ATTR_SSL_CA] = getenv("MYSQL_ATTR_SSL_CA");',
    '  } else {',
    '    $dsn = "pgsql:host=" . $e("HOST") . ";port=" . $e("PORT") . ";dbname=" . $e("DATABASE")',
    '      . ";sslmode=" . $e("SSLMODE") . ";sslrootcert=" . $e("SSLROOTCERT");',
    '  }',
    '  $pdo = new PDO($dsn, $e("ADMIN_USERNAME"), $e("ADMIN_PASSWORD"), $options);',
    '  foreach ($t["statements"] as $sql) {',
    '    $pdo->exec(strtr($sql, ["{user}" => $user, "{password}" => $pdo->quote($e("PASSWORD"))]));',
    '  }',
    '  fwrite(STDERR, "database user $user ready on " . $t["prefix"] . "\\n");',
    '}',
  ].join('\n');
}

/**
 * Wraps a migration command so that the bootstrap runs first and the command only if it
 * succeeded: `sh -c 'php -r "$DB_USERS_BOOTSTRAP" && exec "$@"' sh <command...>`.
 */
export function withBootstrap(command: readonly string[]): string[] {
  return ['sh', '-c', 'php -r "$DB_USERS_BOOTSTRAP" && exec "$@"', 'sh', ...command];
}

/** A PHP single-quoted string literal. */
function phpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * What the migration task adds to the web service's wiring so that its first step can create
 * the app users: the master credentials of each RDS database the service uses (as
 * `<PREFIX>_ADMIN_USERNAME`/`_PASSWORD`, ECS secrets) and the PHP program. Only the migration
 * task gets these; the services never see the master password.
 */
export function migrationBootstrap(
  uses: readonly string[],
  databases: { readonly mysql?: BootstrappedDatabase; readonly postgres?: BootstrappedDatabase },
  secretOf: (secret: secretsmanager.ISecret, field: string) => ecs.Secret,
): { environment: Record<string, string>; secrets: Record<string, ecs.Secret>; targets: DatabaseUserTarget[] } {
  const targets: (DatabaseUserTarget & { db: BootstrappedDatabase })[] = [];
  if (uses.includes('mysql') && databases.mysql) {
    targets.push({ engine: 'mysql', envPrefix: 'DB', database: databases.mysql.databaseName, db: databases.mysql });
  }
  if (uses.includes('postgres') && databases.postgres) {
    targets.push({
      engine: 'postgres',
      envPrefix: 'DB_PGSQL',
      database: databases.postgres.databaseName,
      db: databases.postgres,
    });
  }
  const secrets: Record<string, ecs.Secret> = {};
  for (const t of targets) {
    secrets[`${t.envPrefix}_ADMIN_USERNAME`] = secretOf(t.db.secret, 'username');
    secrets[`${t.envPrefix}_ADMIN_PASSWORD`] = secretOf(t.db.secret, 'password');
  }
  const plain = targets.map(({ engine, envPrefix, database }) => ({ engine, envPrefix, database }));
  return {
    environment: targets.length > 0 ? { DB_USERS_BOOTSTRAP: bootstrapPhp(plain) } : {},
    secrets,
    targets: plain,
  };
}
