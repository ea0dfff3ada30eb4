/** `queue-worker` → `QueueWorker`, `ecr.dkr` → `EcrDkr`: construct ids from config names. */
export function pascal(name: string): string {
  return name
    .split(/[-_.]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/**
 * The name of the role a system's pipeline assumes in a stage account to publish static
 * assets: a contract between the stage's data stack and the tooling account's pipeline, so it
 * is fixed rather than generated (IAM role names: at most 64 characters).
 */
export function assetPublisherRoleName(system: string, stage: string): string {
  return `${system}-${stage}-asset-publisher`.slice(0, 64);
}
