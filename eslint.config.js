// @ts-check
const tseslint = require('typescript-eslint');

/**
 * Which folders of lib/ each folder may import: imports point down, from the composition root
 * (app, stages, stacks) to the constructs of each domain and on to lib/shared. A construct
 * never imports a stack, a stage or the tools above them. Checked by `no-restricted-imports`
 * below; test/architecture/ checks that no import cycle remains.
 */
const LAYERS = {
  shared: [],
  network: ['shared'],
  edge: ['shared'],
  data: ['shared'],
  deployment: ['shared', 'edge'],
  services: ['shared', 'network', 'data', 'edge', 'deployment'],
  observability: ['shared', 'data', 'edge'],
  pipeline: ['shared', 'services'],
  cost: [],
  stacks: ['shared', 'network', 'edge', 'data', 'deployment', 'services', 'observability', 'pipeline'],
  stages: ['shared', 'stacks', 'observability'],
};
/** The folders of lib/ and its top-level modules. */
const LIB = [...Object.keys(LAYERS), 'guard', 'app', 'offline-app'];

/** Names of the whole configuration that only stacks, stages and tools may use. */
const WHOLE_CONFIG = [
  'ResolvedConfig',
  'SystemDefinition',
  'StageDefinition',
  'loadConfigs',
  'resolveStage',
  'resolveAll',
  'SYSTEMS',
];

/** Imports of test code, forbidden outside test/. */
const NO_TEST_CODE = {
  regex: '(^|/)test(/|$)',
  message: 'Code outside test/ never imports test code; move what both need into lib/.',
};

/** Imports of the Lambda handlers, allowed only in lib/deployment/handlers.ts. */
const NO_HANDLER_MODULES = {
  regex: '(^|/)lambda(/|$)',
  message: 'The app reaches lambda/ only through lib/deployment/handlers.ts (bundle paths and shared contracts).',
};

/** The restricted-import patterns of one folder of lib/. */
function layerPatterns(folder) {
  const allowed = new Set([folder, ...LAYERS[folder]]);
  const forbidden = LIB.filter((name) => !allowed.has(name));
  const patterns = [
    NO_TEST_CODE,
    NO_HANDLER_MODULES,
    {
      regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
      message: `lib/${folder}/ may import only ${[...allowed].map((f) => `lib/${f}/`).join(', ')} of lib/ (imports point down: see LAYERS in eslint.config.js).`,
    },
  ];
  // Stacks and stages translate the whole config; the cost estimate reads every stage's budget.
  if (!['stacks', 'stages', 'cost'].includes(folder)) {
    patterns.push({
      regex: '(^|/)config(/index|/schema|/loader)?$',
      importNames: WHOLE_CONFIG,
      message:
        'A construct takes narrow props (a config slice such as DeploymentConfig at most, or better the resources); its stack translates the whole config.',
    });
  }
  return patterns;
}

module.exports = tseslint.config(
  { ignores: ['cdk.out/**', 'node_modules/**', 'coverage/**', 'build/**', '**/*.js', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['bin/**', 'config/**', 'scripts/**', 'lambda/**', 'lib/*.ts', 'lib/guard/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_TEST_CODE] }] },
  },
  ...Object.keys(LAYERS).map((folder) => ({
    files: [`lib/${folder}/**`],
    rules: { 'no-restricted-imports': ['error', { patterns: layerPatterns(folder) }] },
  })),
  {
    // The one door to lambda/.
    files: ['lib/deployment/handlers.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: layerPatterns('deployment').filter((p) => p !== NO_HANDLER_MODULES) },
      ],
    },
  },
  {
    // The CDK app reads its environment and context in bin/ only; Lambda handlers read their
    // own environment, which the app sets.
    files: ['lib/**', 'config/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Only bin/ reads process.env; pass values down through config.',
        },
        {
          selector: "CallExpression[callee.property.name='tryGetContext']",
          message: 'Only bin/ reads context; pass values down through config.',
        },
      ],
    },
  },
  {
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
