import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PIPELINE_STEPS_DIR, REPO_ROOT } from '../../../../lib/shared/paths';

/** The repository root: scripts run from a copy-free view of it (symlinks). */
export const ROOT = REPO_ROOT;

const FIELD = '\x1f';
const RECORD = '\x1e';

/**
 * Fake `npm`: `npm run [--silent] <name> [-- args]` runs the package.json script with the
 * arguments appended at its end, as npm does (so `a && b` hands them to `b` only); any other
 * npm command is only recorded.
 */
const FAKE_NPM = `
if [ "$1" = "run" ]; then
  shift
  [ "$1" = "--silent" ] && shift
  name="$1"; shift
  [ "\${1:-}" = "--" ] && shift
  script=$(node -p "require(process.cwd() + '/package.json').scripts['$name'] ?? ''")
  [ -n "$script" ] || { echo "npm ERR! Missing script: $name" >&2; exit 1; }
  exec sh -c "$script"' "$@"' sh "$@"
fi
exit 0
`;

/** Fake `npx`: runs the fake of the tool it names, so both calls are recorded. */
const FAKE_NPX = `
tool="$1"; shift
[ -x "$FAKE_BIN/$tool" ] || { echo "fake npx: no fake for $tool" >&2; exit 127; }
exec "$FAKE_BIN/$tool" "$@"
`;

/** What a fake does after recording its arguments: a bash body with "$@" and $FAKE_STATE. */
export type FakeBodies = Record<string, string>;

/**
 * lib/ of the checkout: linked, except the pipeline's step scripts, which are copies without
 * their executable bits. A source artifact need not keep file modes, so the steps must run one
 * another through `bash`, as the buildspecs run them.
 */
function checkoutOfLib(lib: string): void {
  const link = (from: string, to: string, except: string) => {
    fs.mkdirSync(to);
    for (const entry of fs.readdirSync(from).filter((e) => e !== except)) {
      fs.symlinkSync(path.join(from, entry), path.join(to, entry));
    }
  };
  link(path.join(ROOT, 'lib'), lib, 'pipeline');
  link(path.join(ROOT, 'lib', 'pipeline'), path.join(lib, 'pipeline'), 'steps');
  const steps = path.join(lib, 'pipeline', 'steps');
  fs.mkdirSync(steps);
  for (const file of fs.readdirSync(PIPELINE_STEPS_DIR)) {
    fs.copyFileSync(path.join(PIPELINE_STEPS_DIR, file), path.join(steps, file));
    fs.chmodSync(path.join(steps, file), 0o644);
  }
}

/** A directory of fake commands that record every call, and a way to run scripts against them. */
export interface Fakes {
  /** The directory the fakes live in (first on PATH). */
  readonly bin: string;
  /** Scratch directory fakes may keep state in (`$FAKE_STATE`). */
  readonly state: string;
  /** A working directory that looks like a checkout of this repository. */
  readonly workdir: string;
  /** Every recorded call, in order: `[command, ...args]`. */
  calls(command?: string): string[][];
  /** Runs a command line with `sh -e` (as CodeBuild runs buildspec commands) in `cwd`. */
  sh(commands: string, env?: Record<string, string>, cwd?: string): { status: number; stdout: string; stderr: string };
}

/**
 * Creates fake `aws`, `docker`, `npm`, `npx`, `cdk`, `tsx` and `curl` that append their argv to
 * a log and then run the given body (default: succeed silently).
 */
export function makeFakes(bodies: FakeBodies = {}): Fakes {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-fakes-'));
  const bin = path.join(dir, 'bin');
  const state = path.join(dir, 'state');
  const workdir = path.join(dir, 'src');
  const log = path.join(dir, 'calls.log');
  for (const d of [bin, state, workdir]) fs.mkdirSync(d);
  for (const entry of ['package.json', 'scripts', 'test', 'config', 'bin', 'cdk.json']) {
    if (fs.existsSync(path.join(ROOT, entry))) fs.symlinkSync(path.join(ROOT, entry), path.join(workdir, entry));
  }
  checkoutOfLib(path.join(workdir, 'lib'));
  const all: FakeBodies = { aws: '', docker: '', cdk: '', tsx: '', curl: '', npm: FAKE_NPM, npx: FAKE_NPX, ...bodies };
  for (const [name, body] of Object.entries(all)) {
    const file = path.join(bin, name);
    fs.writeFileSync(
      file,
      [
        '#!/usr/bin/env bash',
        `{ printf '%s' ${JSON.stringify(name)}; for a in "$@"; do printf '${FIELD}%s' "$a"; done; printf '${RECORD}'; } >> "$FAKE_LOG"`,
        body,
        'exit 0',
        '',
      ].join('\n'),
    );
    fs.chmodSync(file, 0o755);
  }
  fs.writeFileSync(log, '');
  const baseEnv = {
    PATH: `${bin}:/usr/bin:/bin:${path.dirname(process.execPath)}`,
    HOME: dir,
    FAKE_LOG: log,
    FAKE_BIN: bin,
    FAKE_STATE: state,
  };
  return {
    bin,
    state,
    workdir,
    calls(command) {
      const records = fs
        .readFileSync(log, 'utf8')
        .split(RECORD)
        .filter(Boolean)
        .map((r) => r.split(FIELD));
      return command ? records.filter((r) => r[0] === command) : records;
    },
    sh(commands, env = {}, cwd = workdir) {
      const result = spawnSync('sh', ['-e', '-c', commands], {
        cwd,
        env: { ...baseEnv, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

/**
 * A fake `aws` with just enough ECR and S3 to run the pipeline scripts: images live in
 * `$FAKE_STATE/ecr/<repository>/<tag>` (the file holds the digest); `s3 cp` of a file keeps a
 * copy under `$FAKE_STATE/s3/<key>`; the CloudFormation outputs of a `cdk deploy` are the
 * fake cdk's business.
 */
export const FAKE_AWS = `
opt() { local want="$1"; shift; while [ $# -gt 0 ]; do [ "$1" = "$want" ] && { echo "$2"; return; }; shift; done; }
case "$1 $2" in
  "ecr get-login-password") echo fake-password ;;
  "ecr describe-images")
    repo=$(opt --repository-name "$@"); ids=$(opt --image-ids "$@"); tag="\${ids#imageTag=}"
    f="$FAKE_STATE/ecr/$repo/$tag"
    if [ -f "$f" ]; then cat "$f"; else echo "An error occurred (ImageNotFoundException): The image with imageId {imageTag:'$tag'} does not exist within the repository with name '$repo'" >&2; exit 254; fi ;;
  "ecr batch-get-image")
    repo=$(opt --repository-name "$@"); ids=$(opt --image-ids "$@"); tag="\${ids#imageTag=}"
    f="$FAKE_STATE/ecr/$repo/$tag"
    if [ -f "$f" ]; then echo "manifest:$(cat "$f")"; else echo None; fi ;;
  "ecr put-image")
    repo=$(opt --repository-name "$@"); tag=$(opt --image-tag "$@"); manifest=$(opt --image-manifest "$@")
    f="$FAKE_STATE/ecr/$repo/$tag"
    if [ -f "$f" ]; then echo "An error occurred (ImageTagAlreadyExistsException): The image tag '$tag' already exists in the '$repo' repository and cannot be overwritten because the tag is immutable." >&2; exit 254; fi
    mkdir -p "$(dirname "$f")"; echo "\${manifest#manifest:}" > "$f" ;;
  "sts assume-role") printf 'ASIAFAKE\tfake-secret\tfake-session-token\n' ;;
  "s3 cp")
    # A stage's assets bucket takes writes only from its publisher role (assumed credentials).
    case "$4" in s3://*-assets-bucket/*) [ "\${AWS_SESSION_TOKEN:-}" = fake-session-token ] || { echo "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied" >&2; exit 1; } ;; esac
    if [ -f "$3" ]; then key="\${4#s3://}"; mkdir -p "$FAKE_STATE/s3/$(dirname "$key")"; cp "$3" "$FAKE_STATE/s3/$key"; fi ;;
esac
`;
