import { importCycles, readSources, sourceFiles, units } from './source-graph';

/** The longest a constructor or function in lib/ and config/ may be: past it, name its parts. */
const MAX_UNIT_LINES = 80;

const sources = readSources(sourceFiles());

describe('the shape of the code', () => {
  test('no import cycle among the modules of bin/, config/, lib/, lambda/ and scripts/', () => {
    expect(importCycles(sources)).toEqual([]);
  });

  test('nothing outside test/ imports test code', () => {
    const imports = sources.flatMap((s) =>
      s.imports.filter((i) => i.startsWith('test/')).map((i) => `${s.file} -> ${i}`),
    );
    expect(imports).toEqual([]);
  });

  test(`no constructor or function in lib/ or config/ is longer than ${MAX_UNIT_LINES} lines`, () => {
    const long = sources
      .filter((s) => /^(lib|config)\//.test(s.file))
      .flatMap(units)
      .filter((u) => u.lines > MAX_UNIT_LINES)
      .map((u) => `${u.file}:${u.line} ${u.name} (${u.lines} lines)`);
    expect(long).toEqual([]);
  });

  test('the cycle check finds a cycle', () => {
    const cyclic = [
      { file: 'a.ts', imports: ['b.ts'], ast: sources[0].ast },
      { file: 'b.ts', imports: ['a.ts'], ast: sources[0].ast },
      { file: 'c.ts', imports: ['a.ts'], ast: sources[0].ast },
    ];
    expect(importCycles(cyclic)).toEqual([['a.ts', 'b.ts']]);
  });
});
