import { LARAVEL_SCRATCH, NGINX_SCRATCH } from '../../../lib/services/laravel-service';
import { NEXTJS_SCRATCH } from '../../../lib/services/nextjs-service';
import {
  imageBuildVariables,
  imageRepositoryKeys,
  plainVariables,
  type PipelineImage,
} from '../../../lib/pipeline/image-build';

const TARGET = {
  registryHost: '1.dkr.ecr.eu-west-1.amazonaws.com',
  region: 'eu-west-1',
  repositoryName: 'sys/api',
  tag: 'abc',
};
const LARAVEL: PipelineImage = {
  name: 'api',
  sourceRepository: 'org/api',
  runtime: 'laravel',
  nginxSidecar: true,
  user: 'www-data',
  readonlyRootFilesystem: true,
  port: 80,
  healthPath: '/up',
  staticPaths: ['/build/*', '/static/*'],
};

describe('image builds', () => {
  test('an image with an nginx sidecar pushes to two repositories', () => {
    expect(imageRepositoryKeys(LARAVEL)).toEqual(['api', 'api-nginx']);
    expect(imageRepositoryKeys({ ...LARAVEL, nginxSidecar: undefined })).toEqual(['api']);
  });

  test('passes build-image.sh where to push, what the image runs and what its tasks mount writable', () => {
    expect(imageBuildVariables(LARAVEL, TARGET)).toEqual({
      REGISTRY: '1.dkr.ecr.eu-west-1.amazonaws.com',
      REGISTRY_REGION: 'eu-west-1',
      REPOSITORY: 'sys/api',
      IMAGE_TAG: 'abc',
      RUNTIME: 'laravel',
      PORT: '80',
      HEALTH_PATH: '/up',
      STATIC_PATHS: '/build/*,/static/*',
      NGINX_SIDECAR: 'true',
      APP_USER: 'www-data',
      READ_ONLY: LARAVEL_SCRATCH.join(','),
      NGINX_READ_ONLY: NGINX_SCRATCH.join(','),
    });
  });

  test('a Next.js image gets its own scratch paths; a writable root file system gets none; no user is checked unless given', () => {
    const next: PipelineImage = { ...LARAVEL, runtime: 'nextjs', nginxSidecar: undefined, user: undefined };
    expect(imageBuildVariables(next, TARGET)).toEqual(
      expect.objectContaining({
        READ_ONLY: NEXTJS_SCRATCH.join(','),
        NGINX_READ_ONLY: '',
        NGINX_SIDECAR: 'false',
        APP_USER: '',
      }),
    );
    expect(imageBuildVariables({ ...LARAVEL, readonlyRootFilesystem: undefined }, TARGET)).toEqual(
      expect.objectContaining({ READ_ONLY: '', NGINX_READ_ONLY: '' }),
    );
  });

  test('action variables are plain text', () => {
    expect(plainVariables({ A: '1' })).toEqual({ A: { value: '1' } });
  });
});
