import type { ResolvedConfig } from '../schema/resolved';
import type { Report } from './report';

/** One body limit per path prefix (each is a web ACL rule). */
export function checkEdge(c: ResolvedConfig, report: Report): void {
  const seen = new Set<string>();
  c.cdn.bodyLimits.forEach((limit, i) => {
    if (seen.has(limit.pathPrefix)) {
      report(
        ['cdn', 'bodyLimits', i, 'pathPrefix'],
        `'${limit.pathPrefix}' is listed twice; give each prefix one limit`,
      );
    }
    seen.add(limit.pathPrefix);
  });
}

/** Disaster-recovery copies go to another region. */
export function checkBackup(c: ResolvedConfig, report: Report): void {
  if (c.backup.crossRegionCopy && c.backup.crossRegionCopy.region === c.region) {
    report(
      ['backup', 'crossRegionCopy', 'region'],
      `copies must go to another region than ${c.region} (pick one such as 'eu-central-1')`,
    );
  }
}
