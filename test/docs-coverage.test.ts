/**
 * Documentation coverage, measured: every symbol `src/index.ts` exports has a doc comment with an
 * `@example`; every command has a description, a help text with runnable `$ pkgseal …` examples
 * and a page in docs/commands/; every argument and option has a description, and every option is
 * named on its command's page; every input and output of the GitHub Action is described and named
 * in docs/ci.md. Prints `documentation coverage: N/M (P%)` and fails below 100%.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Command } from 'commander';
import ts from 'typescript';
import { parse as parseYaml } from 'yaml';
import { buildProgram } from '../src/cli/main.js';
import { checkPolicyText, formatProblem } from '../src/policy/load-policy.js';
import { REPO_ROOT } from './support/realdata.js';

interface Item {
  what: string;
  problem?: string;
}

test('every exported API symbol, command, argument and option is documented (100%)', () => {
  const items = [...apiItems(), ...cliItems(), ...actionItems()];
  const documented = items.filter((item) => item.problem === undefined).length;
  const percent = ((documented / items.length) * 100).toFixed(1);
  const missing = items.filter((item) => item.problem !== undefined);
  process.stdout.write(`documentation coverage: ${documented}/${items.length} (${percent}%)\n`);
  for (const item of missing) process.stdout.write(`  missing: ${item.what}: ${item.problem}\n`);
  assert.ok(items.length > 50, `only ${items.length} items found: the walk is broken`);
  assert.deepEqual(
    missing.map((item) => `${item.what}: ${item.problem}`),
    [],
    `documentation coverage ${documented}/${items.length} (${percent}%), below 100%`,
  );
});

test('every @example of the API type-checks against the real exports', () => {
  const examples = apiDocs().flatMap(({ name, examples: texts }) => texts.flatMap((text, i) => codeBlocks(text).map((code, j) => ({ name: `${name}-${i}-${j}`, code }))));
  assert.ok(examples.length > 40, `only ${examples.length} examples found`);
  const problems = typeCheckExamples(examples);
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('every policy in docs/writing-a-policy.md passes pkgseal policy check', () => {
  const page = readFileSync(join(REPO_ROOT, 'docs/writing-a-policy.md'), 'utf8');
  const policies = [...page.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => match[1]!).filter((text) => text.includes('"version": 1'));
  assert.ok(policies.length >= 4, `only ${policies.length} policies found`);
  for (const [i, text] of policies.entries()) {
    const problems = checkPolicyText(text, `writing-a-policy.md policy ${i + 1}`).problems.map((problem) => formatProblem(`policy ${i + 1}`, problem));
    assert.deepEqual(problems, [], text);
  }
  for (const recipe of ["pin my org's packages to our release workflow", 'require provenance for everything that has ever had it', 'roll out in warn mode, then enforce']) {
    assert.match(page, new RegExp(`^## Recipe: ${recipe}$`, 'im'), `recipe "${recipe}" is missing`);
  }
});

const ENTRY = join(REPO_ROOT, 'src/index.ts');
const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  strict: true,
  skipLibCheck: true,
  noEmit: true,
};

interface ApiDoc {
  name: string;
  summary: string;
  examples: string[];
}

/** Every symbol exported from src/index.ts, resolved through re-exports to its declaration, with its docs. */
function apiDocs(): ApiDoc[] {
  const program = ts.createProgram([ENTRY], COMPILER_OPTIONS);
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!)!;
  return checker.getExportsOfModule(moduleSymbol).map((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    return {
      name: exported.getName(),
      summary: ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim(),
      examples: symbol
        .getJsDocTags(checker)
        .filter((tag) => tag.name === 'example')
        .map((tag) => ts.displayPartsToString(tag.text).trim())
        .filter((text) => text !== ''),
    };
  });
}

function apiItems(): Item[] {
  return apiDocs().map(({ name, summary, examples }) => {
    const what = `API ${name}`;
    if (summary === '') return { what, problem: 'no doc comment' };
    if (examples.length === 0) return { what, problem: 'doc comment has no @example' };
    if (examples.some((text) => codeBlocks(text).length === 0)) return { what, problem: '@example without a ```ts block' };
    return { what };
  });
}

function codeBlocks(text: string): string[] {
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/**
 * Compiles each example as its own module in a virtual folder of the repository, with `pkgseal`
 * mapped to src/index.ts (as a user's `import ... from 'pkgseal'` resolves to dist/index.d.ts).
 */
function typeCheckExamples(examples: Array<{ name: string; code: string }>): string[] {
  const folder = join(REPO_ROOT, '.doc-examples');
  const files = new Map(examples.map(({ name, code }) => [join(folder, `${name.replace(/[^\w-]/g, '_')}.ts`), code.replace(/from 'pkgseal'/g, `from '${ENTRY.replace(/\.ts$/, '.js')}'`)]));
  const host = ts.createCompilerHost(COMPILER_OPTIONS);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => files.has(file) || fileExists.call(host, file);
  host.readFile = (file) => files.get(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    const text = files.get(file);
    return text === undefined ? getSourceFile.call(host, file, language, ...rest) : ts.createSourceFile(file, text, language, true);
  };
  // A module, so top-level await and imports work: the folder's package.json says ESM.
  files.set(join(folder, 'package.json'), '{"type":"module"}');
  const program = ts.createProgram([...files.keys()].filter((file) => file.endsWith('.ts')), COMPILER_OPTIONS, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file && files.has(diagnostic.file.fileName))
    .map((diagnostic) => `${diagnostic.file!.fileName.slice(folder.length + 1)}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
}

/** Commands, their arguments and options, walked from the real program (`pkgseal help` shows the same). */
function cliItems(): Item[] {
  const items: Item[] = [];
  const walk = (command: Command, path: string[], page: string | undefined): void => {
    const name = ['pkgseal', ...path].join(' ');
    items.push({ what: `command "${name}"`, ...commandProblem(command, name, page) });
    for (const argument of command.registeredArguments) {
      items.push({ what: `argument <${argument.name()}> of "${name}"`, ...(argument.description.trim() === '' ? { problem: 'no description' } : {}) });
    }
    for (const option of command.options) {
      const problem = option.description.trim() === '' ? 'no description' : page !== undefined && !mentions(page, option.long ?? option.short ?? '') ? `not named on ${pageName(path)}` : undefined;
      items.push({ what: `option ${option.flags} of "${name}"`, ...(problem ? { problem } : {}) });
    }
    for (const subcommand of command.commands) {
      const subpath = [...path, subcommand.name()];
      // A nested command (`verify github`, `policy check`) is documented on its top-level command's page.
      walk(subcommand, subpath, path.length === 0 ? readPage(subpath) : page);
    }
  };
  walk(buildProgram(), [], readDocsIndex());
  return items;
}

/** The GitHub Action's inputs and outputs: described in action.yml and named in docs/ci.md. */
function actionItems(): Item[] {
  const action = parseYaml(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as Record<'inputs' | 'outputs', Record<string, { description?: string }>>;
  const page = readFileSync(join(REPO_ROOT, 'docs/ci.md'), 'utf8');
  return (['inputs', 'outputs'] as const).flatMap((kind) =>
    Object.entries(action[kind]).map(([name, entry]): Item => {
      const what = `action ${kind.slice(0, -1)} ${name}`;
      if (!entry.description?.trim()) return { what, problem: 'no description in action.yml' };
      return page.includes(`\`${name}\``) ? { what } : { what, problem: 'not named in docs/ci.md' };
    }),
  );
}

function commandProblem(command: Command, name: string, page: string | undefined): { problem?: string } {
  if (command.description().trim() === '') return { problem: 'no description' };
  const help = fullHelp(command);
  const examples = help.split('\nExamples:\n')[1];
  if (examples === undefined) return { problem: 'help has no "Examples:" section' };
  if (!examples.split('\n').some((line) => line.trimStart().startsWith(`$ ${name}`))) return { problem: `"Examples:" has no "$ ${name} …" line` };
  if (page === undefined) return { problem: 'no page in docs/commands/' };
  if (!mentions(page, name)) return { problem: 'its docs page never shows it' };
  return {};
}

/** The help as `--help` prints it, including the text added after the generated part. */
function fullHelp(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk), writeErr: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

function pageName(path: string[]): string {
  return path.length === 0 ? 'docs/README.md' : `docs/commands/${path[0]}.md`;
}

function readPage(path: string[]): string | undefined {
  const file = join(REPO_ROOT, pageName(path));
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

function readDocsIndex(): string | undefined {
  return readPage([]);
}

/** The flag as a whole word: `--ref` must not count as mentioned because `--refresh` is. */
function mentions(page: string, flag: string): boolean {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w-])${escaped}(?![\\w-])`).test(page);
}
