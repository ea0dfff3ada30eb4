import * as fs from 'fs';
import * as path from 'path';
import {
  BASELINES_DIR,
  BUILD_DIR,
  CDK_JSON,
  DOCS_DIR,
  HANDLER_BUILD_DIR,
  PIPELINE_STEPS_DIR,
  REPO_ROOT,
  repoRelative,
  VALIDATION_CACHE_DIR,
} from '../../../lib/shared/paths';

describe('repository paths', () => {
  test('the root is the repository’s: its package.json and cdk.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe('laravel-nextjs-aws');
    expect(fs.existsSync(CDK_JSON)).toBe(true);
  });

  test('the committed folders exist where the readers look for them', () => {
    expect(fs.existsSync(path.join(BASELINES_DIR, 'allowlist.json'))).toBe(true);
    expect(fs.existsSync(path.join(DOCS_DIR, 'reference.md'))).toBe(true);
    expect(fs.existsSync(path.join(PIPELINE_STEPS_DIR, 'deploy.sh'))).toBe(true);
  });

  test('build output stays under build/, which git ignores', () => {
    for (const dir of [HANDLER_BUILD_DIR, VALIDATION_CACHE_DIR])
      expect(repoRelative(dir).startsWith('build/')).toBe(true);
    expect(repoRelative(BUILD_DIR)).toBe('build');
    expect(fs.readFileSync(path.join(REPO_ROOT, '.gitignore'), 'utf8')).toMatch(/^\/?build\/?$/m);
  });

  test('relative paths are written with forward slashes, as buildspecs and messages name them', () => {
    expect(repoRelative(PIPELINE_STEPS_DIR)).toBe('lib/pipeline/steps');
    expect(repoRelative(path.join(PIPELINE_STEPS_DIR, 'deploy.sh'))).toBe('lib/pipeline/steps/deploy.sh');
  });
});
