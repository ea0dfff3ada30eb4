import { PIPELINE_MAX_IMAGES } from '../aws-tables';
import type { ResolvedConfig } from '../schema/resolved';
import { laravelMajor } from '../schema/services';
import type { Report } from './report';

/** Laravel-only settings on Laravel images, a PHP the Laravel major runs on, an implied sidecar not listed twice. */
export function checkImages(c: ResolvedConfig, report: Report): void {
  for (const [key, image] of Object.entries(c.images)) {
    if (
      image.runtime !== 'laravel' &&
      (image.nginxSidecar !== undefined ||
        image.phpVersion !== undefined ||
        image.migrateCommand !== undefined ||
        image.laravelVersion !== undefined)
    ) {
      report(
        ['images', key],
        'nginxSidecar, phpVersion, laravelVersion and migrateCommand apply to Laravel images only; remove them',
      );
    }
    if (image.runtime === 'laravel' && image.phpVersion === '8.1' && laravelMajor(image) > 10) {
      report(
        ['images', key, 'laravelVersion'],
        `Laravel ${laravelMajor(image)} requires PHP 8.2 or later (set laravelVersion: 10 or phpVersion: '8.2')`,
      );
    }
    if (image.nginxSidecar && c.images[`${key}-nginx`]) {
      report(['images', `${key}-nginx`], `the nginx sidecar image of '${key}' is implied; remove this entry`);
    }
  }
}

/**
 * What the pipeline can build: at most {@link PIPELINE_MAX_IMAGES} images (its deploy action
 * takes this repository and one static-files artifact per image, five inputs at most), each
 * run by a web service, which it is smoke-tested through; a Laravel image by exactly one, whose
 * deploy runs the image's migrations.
 */
export function checkPipelineImages(c: ResolvedConfig, report: Report): void {
  const keys = Object.keys(c.images);
  if (keys.length > PIPELINE_MAX_IMAGES) {
    report(
      ['images'],
      `${keys.length} images, but a pipeline deploy action takes at most ${PIPELINE_MAX_IMAGES} (one static-files input each beside this repository); split the system or drop ${keys.slice(PIPELINE_MAX_IMAGES).join(', ')}`,
    );
  }
  // A service naming an unknown image is reported on that service, a stage without any web
  // service on `services`; the images would only repeat it.
  const services = Object.values(c.services);
  if (services.some((s) => !c.images[s.image]) || !services.some((s) => ['laravel-web', 'nextjs'].includes(s.kind))) {
    return;
  }
  for (const key of keys) {
    const web = Object.keys(c.services).filter(
      (name) => c.services[name].image === key && ['laravel-web', 'nextjs'].includes(c.services[name].kind),
    );
    if (web.length === 0) {
      report(
        ['images', key],
        `no laravel-web or nextjs service runs this image, and the pipeline checks every image through its web service (add one, or remove the image)`,
      );
    }
    const laravelWeb = web.filter((name) => c.services[name].kind === 'laravel-web');
    laravelWeb
      .slice(1)
      .forEach((name) =>
        report(
          ['services', name, 'kind'],
          `image '${key}' already has the laravel-web service '${laravelWeb[0]}'; both would run its migrations on every deploy (keep one web service per Laravel image, or give this one an image of its own)`,
        ),
      );
  }
}
