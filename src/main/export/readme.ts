/**
 * The README.md written next to an exported model: what it is and the lines that load it. One
 * generator for every format: the Keras writers (keras.ts, h5.ts) pass the Python part, the TF.js
 * writer (tfjs.ts) the JavaScript part.
 *
 * Next to a model file (.keras, .h5) README.md is a common name: one that Portafilter did not write,
 * or wrote for another model in the same folder, is never overwritten; the README then goes to
 * `<model file>.README.md` (`readmeFileFor`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const README_FILE = 'README.md';

/** The first line of every README Portafilter writes (how it recognises its own). */
export const README_MARK = '<!-- Written by Portafilter next to an exported model. -->';

/** How to load the model in one language: a sentence, the code, remarks. */
export interface ReadmePart {
  intro: string;
  /** Lines of code, '\n'-separated. */
  code: string;
  notes?: string[];
}

export interface ReadmeContent {
  title: string;
  /** The model file the README sits beside, when it sits beside one (file exports). */
  model?: string;
  /** Paragraphs about the model. */
  about: string[];
  python?: ReadmePart;
  js?: ReadmePart;
  notes?: string[];
}

const section = (heading: string, language: string, part: ReadmePart): string[] => [
  `## ${heading}`,
  '',
  part.intro,
  '',
  '```' + language,
  part.code,
  '```',
  ...(part.notes?.length ? ['', ...part.notes.map((n) => `- ${n}`)] : []),
  '',
];

/** The README text. */
export function renderReadme(c: ReadmeContent): string {
  const lines = [README_MARK, ...(c.model ? [modelLine(c.model)] : []), `# ${c.title}`, '', ...c.about.flatMap((p) => [p, '']), ...(c.python ? section('Python', 'python', c.python) : []), ...(c.js ? section('JavaScript', 'js', c.js) : [])];
  if (c.notes?.length) lines.push('## Notes', '', ...c.notes.map((n) => `- ${n}`), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Writes the README into `dir` as `file` (README.md by default); returns the file name. */
export function writeReadme(dir: string, content: ReadmeContent, file: string = README_FILE): string {
  writeFileSync(join(dir, file), renderReadme(content));
  return file;
}

const modelLine = (model: string): string => `<!-- model: ${JSON.stringify(model)} -->`;

/** Whether a README's first bytes say Portafilter wrote it. */
export const isOurReadme = (head: string): boolean => head.startsWith(README_MARK);

/**
 * The README's name next to the model file `modelFile` in `dir`: README.md, unless a README.md is
 * there that Portafilter did not write, or wrote for another model file.
 */
export function readmeFileFor(dir: string, modelFile: string): string {
  const plain = join(dir, README_FILE);
  if (!existsSync(plain)) return README_FILE;
  const head = readFileSync(plain, 'utf8').slice(0, 1024);
  if (!isOurReadme(head)) return `${modelFile}.README.md`;
  const describes = /^<!-- model: (".*") -->$/m.exec(head)?.[1];
  return describes === undefined || JSON.parse(describes) === modelFile ? README_FILE : `${modelFile}.README.md`;
}
