// Lint rules, including the import boundaries of DESIGN.md §2 ("what may import what").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';


/** Builds a no-restricted-imports rule naming the folders of src/ a folder must not import. */
function boundary(files, forbidden, alsoAws = true) {
  const patterns = forbidden.map((f) => ({
    group: [`**/${f}/**`, `../${f}/*`, `../../${f}/*`, `../../../${f}/*`],
    message: `DESIGN.md §2: this folder must not import src/${f}/.`,
  }));
  if (alsoAws) {
    patterns.push({
      group: ['@aws-sdk/*', '@smithy/*'],
      message: 'DESIGN.md §2: only sinks/, aws/ and ingest/ import @aws-sdk/* or @smithy/*.',
    });
  }
  return { files, rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

const all = ['core', 'config', 'sources', 'media', 'pipeline', 'spool', 'retry', 'sinks', 'aws', 'analytics', 'daemon', 'fleet', 'ingest', 'cli'];
const except = (...keep) => all.filter((f) => !keep.includes(f));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.kedge/**', 'native/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  boundary(['src/core/**'], except('core')),
  ...['config', 'retry', 'spool', 'media'].map((f) => boundary([`src/${f}/**`], except('core', f))),
  boundary(['src/sources/**'], ['sinks', 'daemon', 'fleet', 'ingest', 'cli']),
  boundary(['src/sinks/**'], ['sources', 'daemon', 'fleet', 'ingest', 'cli'], false),
  boundary(['src/aws/**'], ['daemon', 'fleet', 'ingest', 'cli'], false),
  boundary(['src/ingest/**'], ['daemon', 'fleet', 'cli'], false),
  boundary(['src/pipeline/**', 'src/analytics/**', 'src/daemon/**', 'src/fleet/**'], ['ingest', 'cli']),
  boundary(['src/index.ts'], ['ingest', 'cli', 'daemon']),
);
