// Shared helpers for the review-aid tests: fixture paths and reading.
import * as fs from 'fs';
import * as path from 'path';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/patch');
export const FIXTURE_TREE = path.join(FIXTURES, 'tree');

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

export function fixtureText(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** The 1-based line `n` of a fixture, as the user sees it in an editor. */
export function fixtureLine(name: string, n: number): string {
  return fixtureText(name).split('\n')[n - 1];
}
