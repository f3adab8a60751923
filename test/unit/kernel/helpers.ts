// Shared by the source-linker tests: fixture locations and a parsed-structure helper.
import * as fs from 'fs';
import * as path from 'path';
import type { ProfileName } from '../../../src/sim/types';
import { CStructure } from '../../../src/kernel/cstructure';
import { loadCParser, type CParser } from '../../../src/kernel/parser';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/kernel');
export const fixtureTree = (p: ProfileName): string => path.join(FIXTURES, p);
export const fixtureFile = (name: string): string => path.join(FIXTURES, 'single', name);
export const readFixture = (rel: string): string => fs.readFileSync(path.join(FIXTURES, rel), 'utf8');

export const parser = (): Promise<CParser> => loadCParser();

export async function structureOf(text: string): Promise<CStructure> {
  const tree = (await parser()).parser.parse(text);
  if (!tree) throw new Error('no tree');
  return new CStructure(tree);
}

/** 1-based line of the first line containing `needle` (fixtures are ours, so lines are stable). */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`fixture has no line with ${needle}`);
  return i + 1;
}
