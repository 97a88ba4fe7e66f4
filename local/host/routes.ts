/**
 * ASP.NET-style route templates as Functions uses them: `requests/{id}`, `{id:int}`, `{x?}`,
 * `{*rest}`, `{a}.{b}`; literals match case-insensitively, constraints must hold for a match.
 */

type Constraint = (value: string) => boolean;

interface Parameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  constraints: Constraint[];
}

export interface CompiledRoute {
  template: string;
  regex: RegExp;
  parameters: Parameter[];
  /** Sort key: lower sorts first (more specific). */
  precedence: number[];
}

const numberPattern = /^-?\d+(?:\.\d+)?$/;

function constraintFor(text: string, template: string): Constraint {
  const match = /^([a-zA-Z]+)(?:\((.*)\))?$/.exec(text);
  if (!match) throw new TypeError(`route "${template}": bad constraint "${text}"`);
  const kind = (match[1] ?? '').toLowerCase();
  const args = (match[2] ?? '').split(',').map((a) => a.trim());
  const n = (i: number): number => Number(args[i]);
  switch (kind) {
    case 'int':
      return (v) => /^-?\d+$/.test(v) && Math.abs(Number(v)) <= 2_147_483_648;
    case 'long':
      return (v) => /^-?\d+$/.test(v);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'guid':
      return (v) => /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v);
    case 'double':
    case 'float':
    case 'decimal':
      return (v) => numberPattern.test(v);
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'min':
      return (v) => /^-?\d+$/.test(v) && Number(v) >= n(0);
    case 'max':
      return (v) => /^-?\d+$/.test(v) && Number(v) <= n(0);
    case 'range':
      return (v) => /^-?\d+$/.test(v) && Number(v) >= n(0) && Number(v) <= n(1);
    case 'length':
      return args.length > 1 ? (v) => v.length >= n(0) && v.length <= n(1) : (v) => v.length === n(0);
    case 'minlength':
      return (v) => v.length >= n(0);
    case 'maxlength':
      return (v) => v.length <= n(0);
    case 'regex': {
      const regex = new RegExp(match[2] ?? '', 'i');
      return (v) => regex.test(v);
    }
    default:
      throw new TypeError(`route "${template}": unknown constraint "${kind}"`);
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles a route template (without the route prefix).
 * @throws TypeError when the template is malformed or uses an unknown constraint.
 */
export function compileRoute(template: string): CompiledRoute {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments = trimmed === '' ? [] : trimmed.split('/');
  const parameters: Parameter[] = [];
  const precedence: number[] = [];
  let pattern = '^';
  segments.forEach((segment, index) => {
    const parts = segment.split(/(\{[^}]*\})/).filter((p) => p !== '');
    let segmentPattern = '';
    let rank = 1;
    let optionalSegment = false;
    for (const part of parts) {
      if (!part.startsWith('{')) {
        segmentPattern += escapeRegex(part);
        continue;
      }
      const body = part.slice(1, -1);
      const catchAll = body.startsWith('*');
      const [rawName = '', ...constraintTexts] = (catchAll ? body.slice(1) : body)
        .replace(/=.*$/, '')
        .split(':');
      let name = rawName;
      let optional = catchAll;
      const lastConstraint =
        constraintTexts.length > 0 ? constraintTexts[constraintTexts.length - 1] : undefined;
      if (name.endsWith('?')) {
        optional = true;
        name = name.slice(0, -1);
      } else if (lastConstraint?.endsWith('?')) {
        optional = true;
        constraintTexts[constraintTexts.length - 1] = lastConstraint.slice(0, -1);
      }
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new TypeError(`route "${template}": bad parameter "${part}"`);
      if (catchAll && index !== segments.length - 1) {
        throw new TypeError(`route "${template}": a catch-all parameter must be the last segment`);
      }
      const constraints = constraintTexts.map((c) => constraintFor(c, template));
      parameters.push({ name, optional, catchAll, constraints });
      const group = parameters.length - 1;
      segmentPattern += catchAll ? `(?<p${group}>.*)` : `(?<p${group}>[^/]+?)`;
      rank = Math.max(rank, catchAll ? 5 : optional ? 4 : constraints.length > 0 ? 2 : 3);
      if (optional && parts.length === 1) optionalSegment = true;
    }
    precedence.push(rank);
    const prefix = index === 0 ? '' : '/';
    pattern += optionalSegment ? `(?:${prefix}${segmentPattern})?` : `${prefix}${segmentPattern}`;
  });
  pattern += '/?$';
  return { template: trimmed, regex: new RegExp(pattern, 'i'), parameters, precedence };
}

/** Orders routes the way the host resolves overlaps: literals before parameters, catch-alls last. */
export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const difference = (a.precedence[i] ?? 0) - (b.precedence[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return b.precedence.length - a.precedence.length;
}

/** The route's parameters for `path` (already without the prefix), or undefined when it does not match. */
export function matchRoute(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const match = route.regex.exec(path.replace(/^\/+/, ''));
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [index, parameter] of route.parameters.entries()) {
    const raw = match.groups?.[`p${index}`];
    if (raw === undefined || raw === '') {
      if (!parameter.optional) return undefined;
      continue;
    }
    let value: string;
    try {
      value = parameter.catchAll ? raw.split('/').map(decodeURIComponent).join('/') : decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (!parameter.constraints.every((check) => check(value))) return undefined;
    params[parameter.name] = value;
  }
  return params;
}
