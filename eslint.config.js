// Lint configuration for the whole monorepo (ESLint 9 flat config).
//
// Non type-checked typescript-eslint rules on purpose: lint must stay fast enough to run on every
// `npm test`. Type-level guarantees come from `tsc` with the strict flags in tsconfig.base.json; the
// core's determinism ban list lives in scripts/tidy.ts, which understands more than a linter rule can.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['**/node_modules/', 'data/', 'dist/', '**/dist/', '.bench/']),
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // `==` coerces; with bigint and number side by side (`1n == 1` is true) that hides unit bugs.
      eqeqeq: ['error', 'always'],
      'no-var': 'error',
      'prefer-const': 'error',
      // `export *` hides what a module offers and lets a rename slip through silently (style habit 13).
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportAllDeclaration',
          message: 'Use explicit named exports, not `export *` (style.md habit 13).',
        },
      ],
      // `any` switches the type checker off exactly where money and units flow.
      '@typescript-eslint/no-explicit-any': 'error',
      // verbatimModuleSyntax keeps every import that is not marked `type`; marking type-only imports
      // keeps them from becoming runtime imports (and from pulling Node modules into the core).
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      // With verbatimModuleSyntax, `import { type A } from 'x'` still loads 'x'; use `import type`.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // A leading underscore says "unused on purpose" (an interface-mandated parameter, a skipped tuple slot).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
]);
