import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bootstrapPhp, bootstrapStatements, substitute, withBootstrap } from '../../../../lib/data/rds/app-users';

/**
 * The bootstrap statements run against a real PostgreSQL server when the machine has one
 * (`initdb`, `pg_ctl` and `psql` on PATH); otherwise those cases are skipped and the statement
 * checks below still run. Roles log in with SCRAM passwords, so a wrong password is refused.
 */
const tools = ['initdb', 'pg_ctl', 'psql'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const asRoot = process.getuid?.() === 0;
const pgDescribe = tools && (!asRoot || spawnSync('id', ['postgres']).status === 0) ? describe : describe.skip;

const PG = { engine: 'postgres', envPrefix: 'DB_PGSQL', database: 'sales' } as const;
const MYSQL = { engine: 'mysql', envPrefix: 'DB', database: 'csl' } as const;

pgDescribe('application users on PostgreSQL (executed)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-users-'));
  const port = String(50000 + (process.pid % 10000));
  const run = (cmd: string) =>
    asRoot ? execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', cmd]) : execFileSync('sh', ['-c', cmd]);
  /**
   * Runs SQL as `user` (the master `dbadmin` by default); throws when the server refuses. Several
   * statements go to one session as separate `-c` commands, each its own query and transaction,
   * as PDO's exec runs them one by one (psql stops at the first error).
   */
  const psql = (sql: string | string[], user = 'dbadmin', password?: string, db = 'sales') =>
    execFileSync(
      'psql',
      [
        '-h',
        dir,
        '-p',
        port,
        '-U',
        user,
        '-d',
        db,
        '-v',
        'ON_ERROR_STOP=1',
        '-qAt',
        ...[sql].flat().flatMap((c) => ['-c', c]),
      ],
      {
        env: { ...process.env, PGPASSWORD: password ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ).toString();
  const canLogIn = (user: string, password: string) => {
    try {
      return psql('SELECT 1', user, password).trim() === '1';
    } catch {
      return false;
    }
  };
  /** What the migration task's bootstrap does, for the secret's current user. */
  const bootstrap = (user: string, password: string) => {
    psql(bootstrapStatements(PG).map((s) => substitute(s, user, `'${password}'`)));
  };
  /** What SecretsManagerRDSPostgreSQLRotationMultiUser's setSecret does for the pending user. */
  const rotate = (pending: string, password: string, current: string) => {
    const exists = psql(`SELECT 1 FROM pg_roles WHERE rolname = '${pending}'`).trim() === '1';
    if (exists) psql(`ALTER USER "${pending}" WITH PASSWORD '${password}'`);
    else psql(`CREATE ROLE "${pending}" WITH LOGIN PASSWORD '${password}'; GRANT "${current}" TO "${pending}"`);
  };

  beforeAll(() => {
    fs.chmodSync(dir, 0o777);
    run(`initdb -D ${dir}/data -U pgsuper >/dev/null 2>&1`);
    // The masters log in without a password here; every other role needs its SCRAM password.
    fs.writeFileSync(
      `${dir}/data/pg_hba.conf`,
      'local all pgsuper trust\nlocal all dbadmin trust\nlocal all all scram-sha-256\n',
    );
    run(`pg_ctl -D ${dir}/data -o "-p ${port} -k ${dir} -c listen_addresses=" -l ${dir}/log -w start >/dev/null`);
    // The RDS master is no superuser: "CREATE ROLE postgres WITH LOGIN NOSUPERUSER INHERIT
    // CREATEDB CREATEROLE" plus membership in rds_superuser (RDS user guide, "Understanding the
    // rds_superuser role"). It owns the database RDS creates for it.
    psql('CREATE ROLE dbadmin WITH LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE', 'pgsuper', undefined, 'postgres');
    psql('CREATE DATABASE sales OWNER dbadmin', 'pgsuper', undefined, 'postgres');
    // Before this scheme the migrations ran as the master, which owns the existing tables.
    psql('CREATE TABLE orders (id serial PRIMARY KEY, total numeric)');
  }, 60_000);
  afterAll(() => {
    run(`pg_ctl -D ${dir}/data -m immediate stop >/dev/null 2>&1 || true`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('creates the app user with the rights of its database only, and is idempotent', () => {
    bootstrap('app', 'pw1');
    bootstrap('app', 'pw1');
    expect(canLogIn('app', 'pw1')).toBe(true);
    expect(canLogIn('app', 'wrong')).toBe(false);
    // It may run the migrations: alter the tables the master created, create new ones.
    psql('ALTER TABLE orders ADD COLUMN note text; CREATE TABLE invoices (id int)', 'app', 'pw1');
    expect(psql("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = 'app'")).toBe('f\n');
  });

  test('walks the rotation timeline: a task holding any recent credentials is never refused', () => {
    // Task A started before rotation N holds (app, pw1).
    const taskA = { user: 'app', password: 'pw1' };
    // Rotation N: the pending user is the clone, with the grants of the current one.
    rotate('app_clone', 'pw2', 'app');
    const taskB = { user: 'app_clone', password: 'pw2' }; // started between N and N+1
    expect(canLogIn(taskA.user, taskA.password)).toBe(true);
    expect(canLogIn(taskB.user, taskB.password)).toBe(true);
    // A deployment between N and N+1 runs the bootstrap and migrations as the clone.
    bootstrap(taskB.user, taskB.password);
    psql('CREATE TABLE shipments (id int); ALTER TABLE orders ADD COLUMN paid boolean', 'app_clone', 'pw2');
    // ... and the next bootstrap hands the clone's tables to the base user, so both may alter them.
    bootstrap(taskB.user, taskB.password);
    psql('ALTER TABLE shipments ADD COLUMN weight int', 'app', 'pw1');
    // Rotation N+1 changes the base user's password; the refresh has replaced task A by then.
    rotate('app', 'pw3', 'app_clone');
    const taskC = { user: 'app', password: 'pw3' }; // started after N+1
    expect(canLogIn(taskB.user, taskB.password)).toBe(true);
    expect(canLogIn(taskC.user, taskC.password)).toBe(true);
    psql('ALTER TABLE shipments ADD COLUMN carrier text', 'app', 'pw3');
    // Only credentials from before rotation N stop working, after N+1.
    expect(canLogIn(taskA.user, taskA.password)).toBe(false);
  });

  test('a table the migrations created as app_clone is usable by app after the next rotation, before any bootstrap', () => {
    // Rotation N+2: the clone is current again; a deployment migrates as the clone.
    rotate('app_clone', 'pw4', 'app');
    bootstrap('app_clone', 'pw4');
    psql('CREATE TABLE parcels (id serial PRIMARY KEY, label text)', 'app_clone', 'pw4');
    psql("INSERT INTO parcels (label) VALUES ('by the clone')", 'app_clone', 'pw4');
    // Rotation N+3: tasks now log in as app; no deployment (no bootstrap) has run since.
    rotate('app', 'pw5', 'app_clone');
    psql("INSERT INTO parcels (label) VALUES ('by app')", 'app', 'pw5');
    expect(psql('SELECT count(*) FROM parcels', 'app', 'pw5')).toBe('2\n');
    // The next deployment's bootstrap hands the table to app, whose migrations may alter it.
    bootstrap('app', 'pw5');
    psql('ALTER TABLE parcels ADD COLUMN weight int', 'app', 'pw5');
    expect(psql("SELECT tableowner FROM pg_tables WHERE tablename = 'parcels'")).toBe('app\n');
  });
});

describe('application user bootstrap', () => {
  test('grants MySQL rights on the app database only, over TLS, without touching the master', () => {
    const sql = bootstrapStatements(MYSQL).map((s) => substitute(s, 'app_clone', "'pw'"));
    expect(sql).toEqual([
      "CREATE USER IF NOT EXISTS 'app_clone'@'%' IDENTIFIED BY 'pw' REQUIRE SSL",
      "ALTER USER 'app_clone'@'%' IDENTIFIED BY 'pw' REQUIRE SSL",
      "GRANT ALL PRIVILEGES ON `csl`.* TO 'app_clone'@'%'",
    ]);
  });

  test('refuses a user name that is not a plain identifier', () => {
    expect(() => substitute('{user}', "app'; DROP USER dbadmin; --", "'x'")).toThrow(/refusing database user name/);
  });

  test('runs the bootstrap before the migration command, and the command only if it succeeded', () => {
    const command = withBootstrap(['php', 'artisan', 'migrate', '--force']);
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-php-'));
    // A fake php: `-r` (the bootstrap) exits with $BOOTSTRAP_EXIT; anything else prints its arguments.
    fs.writeFileSync(
      path.join(bin, 'php'),
      '#!/bin/sh\nif [ "$1" = "-r" ]; then echo bootstrap; exit "$BOOTSTRAP_EXIT"; fi\necho "ran $*"\n',
      { mode: 0o755 },
    );
    const runWith = (code: string) =>
      spawnSync(command[0], command.slice(1), {
        env: { PATH: `${bin}:/usr/bin:/bin`, BOOTSTRAP_EXIT: code, DB_USERS_BOOTSTRAP: bootstrapPhp([MYSQL]) },
      });
    const ok = runWith('0');
    expect([ok.status, ok.stdout.toString()]).toEqual([0, 'bootstrap\nran artisan migrate --force\n']);
    const failed = runWith('1');
    expect([failed.status, failed.stdout.toString()]).toEqual([1, 'bootstrap\n']);
    fs.rmSync(bin, { recursive: true, force: true });
  });

  test('the PHP program carries each target and reads credentials only from the environment', () => {
    const php = bootstrapPhp([MYSQL, PG]);
    expect(php).toContain('"prefix":"DB_PGSQL"');
    expect(php).toContain('$e("ADMIN_PASSWORD")');
    expect(php).not.toMatch(/dbadmin/);
  });
});
