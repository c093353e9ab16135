/** Where the lessons are (docs/lessons of the checkout this CLI was built in) and their order. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Lesson, lessonNumberOf, parseLesson } from './lesson-parse';

export class NoSuchLessonError extends Error {
  override readonly name = 'NoSuchLessonError';
}

/** The checkout's root: the first folder above `from` with docs/lessons and a package.json. */
export function repoRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'docs', 'lessons')) && existsSync(join(dir, 'package.json')))
      return dir;
    if (dirname(dir) === dir) throw new Error(`no docs/lessons above ${from}`);
  }
}

export function lessonsDir(root: string = repoRoot()): string {
  return join(root, 'docs', 'lessons');
}

/** Every lesson, in its number's order. */
export function loadLessons(dir: string = lessonsDir()): Lesson[] {
  return readdirSync(dir)
    .filter((name) => lessonNumberOf(name) !== null)
    .map((name) => parseLesson(readFileSync(join(dir, name), 'utf8'), join(dir, name)))
    .sort((a, b) => a.number - b.number);
}

export function loadLesson(number: number, dir: string = lessonsDir()): Lesson {
  const lessons = loadLessons(dir);
  const lesson = lessons.find((l) => l.number === number);
  if (lesson === undefined) {
    throw new NoSuchLessonError(
      `no lesson ${number}: there are lessons 1 to ${lessons.length} (lab learn --list)`,
    );
  }
  return lesson;
}

export function loadLessonFile(path: string): Lesson {
  if (!existsSync(path)) throw new NoSuchLessonError(`no lesson file ${path}`);
  return parseLesson(readFileSync(path, 'utf8'), path);
}

/** package.json's scripts, for `npm run NAME` in a step. */
export function npmScripts(root: string = repoRoot()): Record<string, string> {
  const json = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  return json.scripts ?? {};
}

/** The sections every lesson has, in this order. */
export const REQUIRED_SECTIONS = [
  'Run it',
  'Look at it',
  'Predict, then break',
  'What happened, and why',
  'Questions',
] as const;

/** What a lesson lacks of the required shape, one line each. */
export function shapeProblems(lesson: Lesson): string[] {
  const problems: string[] = [];
  let at = -1;
  for (const name of REQUIRED_SECTIONS) {
    const index = lesson.sections.indexOf(name);
    if (index < 0) problems.push(`${lesson.file}: no "## ${name}" section`);
    else if (index < at) problems.push(`${lesson.file}: "## ${name}" is out of order`);
    else at = index;
  }
  if (lesson.steps.length === 0) problems.push(`${lesson.file}: no sh step to run`);
  return problems;
}
