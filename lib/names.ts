/** `queue-worker` → `QueueWorker`, `ecr.dkr` → `EcrDkr`: construct ids from config names. */
export function pascal(name: string): string {
  return name
    .split(/[-_.]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}
