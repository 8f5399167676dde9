// The floors rule of eslint.config.js, run through ESLint itself on sources it has never seen.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { FLOORS } from '../../scripts/lint/floors.mjs';
import { repoRoot } from '../support/shared.js';

const eslint = new ESLint({ cwd: repoRoot });
async function floorErrors(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: join(repoRoot, file) });
  return r!.messages.filter((m) => m.ruleId === 'geostream/floors').map((m) => m.message);
}

describe('floors', () => {
  it('an import down the floors passes; up, across or out of src/ is an error naming both rooms', async () => {
    expect(await floorErrors('src/gnss/zz.ts', "import { Clock } from '../base/clock.js';\nimport { Uart } from '../hal/uart.js';\nexport type X = Clock | Uart;\n")).toEqual([]);
    expect(await floorErrors('src/hal/zz.ts', "import type { Fix } from '../gnss/fix.js';\nexport type X = Fix;\n")).toEqual(['src/hal (floor 1) may not import src/gnss (floor 2): imports run down the floors']);
    expect(await floorErrors('src/gnss/zz.ts', "export { Spool } from '../spool/index.js';\n")).toEqual(['src/gnss and src/spool are rooms of one floor; neither may import the other']);
    expect(await floorErrors('src/base/zz.ts', "export async function f() { return import('../agent/agent.js'); }\n")).toHaveLength(1);
    expect(await floorErrors('src/link/zz.ts', "import { x } from '../../test/support/wait.js';\nexport const y = x;\n")).toEqual(['src/link may not import outside src/ (../../test/support/wait.js)']);
  });

  it('every folder of src/ is on a floor, and docs/ARCHITECTURE.md names every room', () => {
    const rooms = FLOORS.flat();
    const folders = readdirSync(join(repoRoot, 'src'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(folders.filter((f) => !rooms.includes(f))).toEqual([]);
    const doc = readFileSync(join(repoRoot, 'docs', 'ARCHITECTURE.md'), 'utf8');
    expect(rooms.filter((r) => !doc.includes(`\`${r === 'cli.ts' ? 'src/cli.ts' : `src/${r}/`}\``))).toEqual([]);
  });
});
