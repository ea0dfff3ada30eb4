// @ts-check
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['cdk.out/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
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
