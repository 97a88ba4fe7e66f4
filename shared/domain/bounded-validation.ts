/**
 * Validation whose cost and answer stay bounded whatever the input: lengths are checked before any element
 * is looked at, and at most {@link maxReportedProblems} problems are listed (the true count travels beside
 * them), so a hostile 4 MiB body is answered in milliseconds with a small problem document.
 */
import { z } from 'zod';

/** Most field problems an answer lists; `errorCount` says how many there were in all. */
export const maxReportedProblems = 100;

/** The issue param that carries how many problems were counted but not listed. */
const OMITTED = 'omittedProblems';

/** How many problems the issues stand for: each listed one plus those counted but not listed. */
export function problemCount(issues: readonly z.core.$ZodIssue[]): number {
  let count = 0;
  for (const issue of issues) {
    const omitted = omittedIn(issue);
    count += omitted === undefined ? 1 : omitted;
  }
  return count;
}

/** The issues worth listing: the sentinel that counts omitted problems is not one of them. */
export function listedIssues(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.filter((issue) => omittedIn(issue) === undefined).slice(0, maxReportedProblems);
}

function omittedIn(issue: z.core.$ZodIssue): number | undefined {
  if (issue.code !== 'custom') return undefined;
  const value = (issue.params as Record<string, unknown> | undefined)?.[OMITTED];
  return typeof value === 'number' ? value : undefined;
}

export interface BoundedArrayOptions<T> {
  min?: number;
  max: number;
  /** A check over the parsed elements (duplicates, say): reports `[index, message]` pairs lazily. */
  across?: (values: readonly T[]) => Iterable<[index: number, field: string, message: string]>;
}

/**
 * An array whose length is checked first (a too-long one is refused without parsing a single element),
 * then each element, listing at most {@link maxReportedProblems} problems and counting the rest.
 */
export function boundedArray<T>(element: z.ZodType<T>, options: BoundedArrayOptions<T>): z.ZodType<T[]> {
  let shape = z.array(z.unknown()).max(options.max);
  if (options.min !== undefined) shape = shape.min(options.min);
  return shape.transform((values, ctx) => {
    const parsed: T[] = [];
    let problems = 0;
    const report = (issue: z.core.$ZodRawIssue): void => {
      if (problems < maxReportedProblems) ctx.addIssue(issue);
      problems++;
    };
    values.forEach((value, index) => {
      const result = element.safeParse(value);
      if (result.success) parsed.push(result.data);
      else
        for (const issue of result.error.issues) {
          report({ ...issue, code: 'custom', input: undefined, path: [index, ...issue.path] });
        }
    });
    if (problems === 0 && options.across) {
      for (const [index, field, message] of options.across(parsed)) {
        report({ code: 'custom', message, input: undefined, path: [index, field] });
      }
    }
    if (problems > maxReportedProblems) {
      ctx.addIssue({
        code: 'custom',
        message: `${problems - maxReportedProblems} more problem(s) not listed`,
        input: undefined,
        params: { [OMITTED]: problems - maxReportedProblems },
      });
    }
    return problems > 0 ? z.NEVER : parsed;
  }) as unknown as z.ZodType<T[]>;
}

/**
 * Free text shown to people and written to logs and CSV files: no control characters (NUL, CR, LF, …), no
 * bidirectional overrides or isolates (which make text read differently from what it is), no zero-width
 * joiners or BOMs, no lone surrogates, and no leading spreadsheet formula character.
 */
export function displayText(maxLength: number) {
  return z
    .string()
    .min(1)
    .max(maxLength)
    .superRefine((text, ctx) => {
      const problem = displayTextProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

// C0/C1 controls, bidi embeddings/overrides/isolates, zero-width characters, line/paragraph separators, BOM.
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a display text is unsafe, or undefined. */
export function displayTextProblem(text: string): string | undefined {
  if (UNSAFE_TEXT.test(text)) return 'contains a control, bidirectional or invisible character';
  if (LONE_SURROGATE.test(text)) return 'is not valid Unicode text';
  if (text.trim() !== text) return 'has leading or trailing spaces';
  if (/^[=+\-@]/.test(text)) return 'starts with a spreadsheet formula character (=, +, -, @)';
  return undefined;
}
