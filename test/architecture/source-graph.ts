import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { REPO_ROOT } from '../../lib/shared/paths';

/** The folders whose code ships or runs outside the tests. */
export const SOURCE_ROOTS = ['bin', 'config', 'lib', 'lambda', 'scripts'];

/** A source file: its path from the repository root and the repository files it imports. */
export interface SourceFile {
  readonly file: string;
  readonly imports: readonly string[];
  readonly ast: ts.SourceFile;
}

/** Every TypeScript file under `roots`, relative to the repository root, sorted. */
export function sourceFiles(roots: readonly string[] = SOURCE_ROOTS): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  for (const root of roots) if (fs.existsSync(path.join(REPO_ROOT, root))) walk(root);
  return out.sort();
}

/** The module specifiers a file names: imports, re-exports, `import()` and `require()` of literals. */
export function specifiers(ast: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) {
        found.push(node.arguments[0].text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(ast);
  return found;
}

/** The repository file a relative specifier names, or undefined for a package. */
export function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const candidates = [base, `${base}.ts`, `${base}.mjs`, `${base}.js`, `${base}/index.ts`];
  return candidates.find(
    (c) => fs.existsSync(path.join(REPO_ROOT, c)) && fs.statSync(path.join(REPO_ROOT, c)).isFile(),
  );
}

/** Parses the files and their repository imports. */
export function readSources(files: readonly string[]): SourceFile[] {
  return files.map((file) => {
    const ast = ts.createSourceFile(
      file,
      fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'),
      ts.ScriptTarget.ES2022,
      true,
    );
    const imports = specifiers(ast)
      .map((s) => resolveSpecifier(file, s))
      .filter((f): f is string => f !== undefined);
    return { file, imports: [...new Set(imports)], ast };
  });
}

/** The import cycles among the files: each strongly connected group of two or more, or a file importing itself. */
export function importCycles(sources: readonly SourceFile[]): string[][] {
  const graph = new Map(sources.map((s) => [s.file, s.imports]));
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexOf.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
      }
    }
    if (low.get(v) !== indexOf.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(group.sort());
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) connect(v);
  return cycles;
}

/** A function-like unit: where it is, what it is called, how many lines it spans. */
export interface Unit {
  readonly file: string;
  readonly name: string;
  readonly line: number;
  readonly lines: number;
}

/** Every function, method, constructor, accessor and arrow function of a file, with its length in lines. */
export function units(source: SourceFile): Unit[] {
  const found: Unit[] = [];
  const { ast } = source;
  const nameOf = (node: ts.Node): string => {
    if (ts.isConstructorDeclaration(node)) return `${className(node)} constructor`;
    const named = node as ts.Node & { name?: ts.Node };
    if (named.name && (ts.isIdentifier(named.name) || ts.isStringLiteral(named.name))) {
      const owner = ts.isClassLike(node.parent) ? `${className(node)}.` : '';
      return owner + named.name.text;
    }
    if (ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)) return node.parent.name.text;
    if (ts.isPropertyAssignment(node.parent) && ts.isIdentifier(node.parent.name)) return node.parent.name.text;
    return '<anonymous>';
  };
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body) {
      const start = ast.getLineAndCharacterOfPosition(node.getStart(ast)).line;
      const end = ast.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ file: source.file, name: nameOf(node), line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(ast);
  return found;
}

function className(node: ts.Node): string {
  const cls = node.parent as ts.ClassLikeDeclaration;
  return cls.name?.text ?? '<class>';
}
