import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

// The layout's rules (.dependency-cruiser.cjs) hold on the code as it is: no import cycles, every folder imports only
// the layers below it, core and view files reach no I/O, and nothing in src/ reaches the dev tools. `npm run arch` prints the same verdict.

const rules = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as { forbidden: unknown[]; options: Record<string, unknown> };

async function cruiseProject(): Promise<ICruiseResult> {
  const result = await cruise(['src', 'dev'], { ...rules.options, ruleSet: { forbidden: rules.forbidden }, validate: true } as never, undefined, {
    tsConfig: extractTSConfig('tsconfig.json'),
  });
  return result.output as ICruiseResult;
}

const describeViolation = (v: IViolation): string => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`;

describe('architecture', () => {
  it('has no import cycles and no import against the layering', async () => {
    const out = await cruiseProject();
    // It really read the tree: the TypeScript imports (".js" specifiers) resolved to files.
    expect(out.summary.totalCruised).toBeGreaterThan(150);
    expect(out.summary.violations.map(describeViolation)).toEqual([]);
  });

  it('finds a cycle, an upward import and I/O in a core file when there is one', async () => {
    // A two-file tree in the project's shape: the Slack adapter importing a capability that imports it back.
    const dir = mkdtempSync(path.join(tmpdir(), 'arch-'));
    mkdirSync(path.join(dir, 'src/slack'), { recursive: true });
    mkdirSync(path.join(dir, 'src/gap/core'), { recursive: true });
    // And a core file that reads a file itself.
    writeFileSync(path.join(dir, 'src/gap/core/queries.ts'), "import { readFileSync } from 'node:fs';\nexport const sql = () => readFileSync('q.sql', 'utf8');\n");
    writeFileSync(path.join(dir, 'src/slack/slack-app.ts'), "import { handle } from '../gap/gap-slack.js';\nexport const app = handle;\n");
    writeFileSync(path.join(dir, 'src/gap/gap-slack.ts'), "import type { app } from '../slack/slack-app.js';\nexport const handle = (a?: typeof app) => a;\n");
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' }, include: ['src'] }));
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      const out = await cruise(['src'], { ...rules.options, ruleSet: { forbidden: rules.forbidden }, validate: true } as never, undefined, { tsConfig: extractTSConfig('tsconfig.json') });
      const names = (out.output as ICruiseResult).summary.violations.map((v) => v.rule.name);
      expect(names).toContain('no-circular');
      expect(names).toContain('layer-sourcesopsobservabilityslackchanges');
      expect(names).toContain('pure-core-no-builtin-io');
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the product leaves the dev tools out', () => {
  it('builds src/ only, and its CLI lists no command that creates tables or loads data', () => {
    const build = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { include: string[] };
    expect(build.include).toEqual(['src']);
    const help = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'help'], { encoding: 'utf8' });
    expect(help).toMatch(/^\s+gap <customer\|all> <period>/m);
    expect(help).not.toMatch(/db:init|demo-data|console/);
    const devHelp = execFileSync(process.execPath, ['--import', 'tsx', 'dev/cli.ts', 'help'], { encoding: 'utf8' });
    expect(devHelp).toMatch(/db:init/);
    expect(devHelp).toMatch(/demo-data/);
  });
});
