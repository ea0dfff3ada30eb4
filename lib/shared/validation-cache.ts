import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import {
  App,
  type AppProps,
  CloudFormationValidatePlugin,
  Validations,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  type PolicyViolation,
} from 'aws-cdk-lib';
import { VALIDATION_CACHE_DIR } from './paths';

/** Where the validation keeps the findings of templates it has seen (git-ignored). */
export const VALIDATION_CACHE = VALIDATION_CACHE_DIR;

/**
 * An App whose CloudFormation validation goes through {@link CachedCloudFormationValidation}
 * instead of the built-in plugin: the same findings, without validating a template again.
 */
export function appWithCachedValidation(props: AppProps = {}): App {
  const app = new App({ ...props, builtinCloudFormationValidation: false });
  Validations.of(app).addPlugins(new CachedCloudFormationValidation(VALIDATION_CACHE));
  return app;
}

let validator: CloudFormationValidatePlugin | undefined;

/**
 * One validator per process, whatever the number of Apps: its engine starts on the first
 * template (about 6 s of CPU) and is reused while later templates use no resource type it has
 * not loaded the rules of, so a test file or tool that synthesizes several Apps pays the start once.
 */
function sharedValidator(): CloudFormationValidatePlugin {
  validator ??= new CloudFormationValidatePlugin();
  return validator;
}

/** Stands for the template's path in a cached finding; the path differs from synth to synth. */
const TEMPLATE = '<template>';
/** Stands for the stack's construct path in a cached finding about the stack as a whole. */
const STACK = '<stack>';

/**
 * aws-cdk-lib's built-in CloudFormation validation, run only on templates it has not seen.
 *
 * The built-in validation is the slowest part of a synth: its engine takes about 6 s of CPU to
 * start in every process (measured with `npm run bench`), whatever the number of templates. Its
 * findings depend only on the template's bytes, the stack's account and region, and the
 * validator's version, so this plugin keeps each template's raw findings under a hash of those
 * (and of this file, so a change to the cache itself starts afresh),
 * and runs the engine only for templates without an entry. Acknowledgements still apply
 * afterwards, as to any plugin's findings, so a cached template is judged exactly as a fresh
 * one: nothing is skipped but the recomputation. The cache lives in `build/validation-cache/`
 * (git-ignored; a fresh clone or CI starts empty and validates everything).
 *
 * Use through {@link appWithCachedValidation}; next to the built-in plugin, templates would be
 * validated twice.
 */
export class CachedCloudFormationValidation implements IPolicyValidationPlugin {
  /** Named as the built-in plugin, so reports read the same. */
  public readonly name = CloudFormationValidatePlugin.PLUGIN_NAME;
  private readonly inner = sharedValidator();
  private readonly salt: string;

  /**
   * @param dir where findings are kept
   */
  constructor(private readonly dir: string) {
    const cdkPackage = path.join(path.dirname(require.resolve('aws-cdk-lib')), 'package.json');
    const cdkVersion = (JSON.parse(fs.readFileSync(cdkPackage, 'utf8')) as { version: string }).version;
    // This file's own text too: findings written by an earlier (perhaps faulty) version of the
    // cache must not outlive a change to it.
    const own = createHash('sha256').update(fs.readFileSync(__filename)).digest('hex').slice(0, 16);
    this.salt = `${cdkVersion}/${this.inner.version}/${own}`;
  }

  /** The validator's version. */
  public get version(): string | undefined {
    return this.inner.version;
  }

  /** Findings of every template: from the cache, or from the engine for templates not seen. */
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations: PolicyViolation[] = [];
    const misses: { stack: (typeof context.stackTemplates)[number]; key: string }[] = [];
    for (const stack of context.stackTemplates) {
      const key = createHash('sha256')
        .update(`${this.salt}\n${stack.accountId ?? ''}\n${stack.region ?? ''}\n`)
        .update(fs.readFileSync(stack.templatePath))
        .digest('hex');
      const cached = this.read(key);
      if (cached) violations.push(...cached.map((v) => localise(v, stack.templatePath, stack.stackConstructPath)));
      else misses.push({ stack, key });
    }
    if (misses.length > 0) {
      const report = this.inner.validate({
        ...context,
        templatePaths: misses.map((m) => m.stack.templatePath),
        stackTemplates: misses.map((m) => m.stack),
      });
      for (const { stack, key } of misses) {
        const own = report.violations
          .map((v) => ({
            ...v,
            violatingResources: v.violatingResources.filter((r) => r.templatePath === stack.templatePath),
          }))
          .filter((v) => v.violatingResources.length > 0);
        this.write(
          key,
          own.map((v) => generalise(v, stack.templatePath, stack.stackConstructPath)),
        );
        violations.push(...own);
      }
    }
    return { success: violations.every((v) => v.severity !== 'error' && v.severity !== 'fatal'), violations };
  }

  private read(key: string): PolicyViolation[] | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, `${key}.json`), 'utf8')) as PolicyViolation[];
    } catch {
      return undefined;
    }
  }

  private write(key: string, violations: PolicyViolation[]): void {
    // Write then rename: two test workers may validate the same template at once.
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `${key}.json`);
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(violations));
    fs.renameSync(temp, file);
  }
}

function generalise(v: PolicyViolation, templatePath: string, stackPath: string): PolicyViolation {
  return {
    ...v,
    violatingResources: v.violatingResources.map((r) => ({
      ...r,
      templatePath: r.templatePath === templatePath ? TEMPLATE : r.templatePath,
      constructPath: r.constructPath === stackPath ? STACK : r.constructPath,
    })),
  };
}

function localise(v: PolicyViolation, templatePath: string, stackPath: string): PolicyViolation {
  return {
    ...v,
    violatingResources: v.violatingResources.map((r) => ({
      ...r,
      templatePath: r.templatePath === TEMPLATE ? templatePath : r.templatePath,
      constructPath: r.constructPath === STACK ? stackPath : r.constructPath,
    })),
  };
}
