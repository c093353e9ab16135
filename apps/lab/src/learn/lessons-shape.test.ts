/**
 * The lessons as files: each parses, has the sections a lesson has, the numbers run 1..N,
 * and docs/lessons/README.md's index links every one. (lessons.test.ts runs their commands.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lessonsDir, loadLessons, repoRoot, shapeProblems } from './lesson-files';

describe('the lessons', () => {
  const lessons = loadLessons();

  it('are at least 18, numbered 1 to N with no gap', () => {
    expect(lessons.length).toBeGreaterThanOrEqual(18);
    expect(lessons.map((l) => l.number)).toEqual(lessons.map((_, i) => i + 1));
  });

  it('each have the sections of a lesson, in order, and commands to run', () => {
    expect(lessons.flatMap(shapeProblems)).toEqual([]);
  });

  it('each have 4 to 8 questions', () => {
    for (const lesson of lessons) {
      const text = readFileSync(lesson.file, 'utf8');
      const questions = text.slice(text.indexOf('## Questions')).match(/^\d+\. /gm) ?? [];
      expect([lesson.slug, questions.length >= 4 && questions.length <= 8]).toEqual([
        lesson.slug,
        true,
      ]);
    }
  });

  it('are all in the index, whose links resolve, in their order', () => {
    const index = readFileSync(join(lessonsDir(), 'README.md'), 'utf8');
    const linked = [...index.matchAll(/\]\((\d\d-[a-z0-9-]+\.md)\)/g)].map((m) => m[1]);
    expect(linked).toEqual(lessons.map((l) => l.file.split('/').pop()));
    for (const file of linked) expect(existsSync(join(lessonsDir(), file!))).toBe(true);
  });

  it("are where the README's first screen sends a learner", () => {
    const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
    const firstScreen = readme.split('\n').slice(0, 30).join('\n');
    expect(firstScreen).toContain('docs/lessons/01-why-coordination-is-hard.md');
  });
});
