/**
 * Reads Bicep offline for the infrastructure tests: parses it with tree-sitter-bicep (its WebAssembly build,
 * so it works without npm install scripts) and evaluates the deterministic part of a template — parameters,
 * variables, loops, conditions, lambdas, module parameters and outputs — over the real inputs
 * (infra/topology.json through `loadJsonContent`). Values known only at deployment (resource ids, endpoints,
 * `tenant()`) come back as {@link Unresolved}. The tests can then ask "what does this Bicep deploy?" instead of
 * restating it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';

/** A value only known at deployment time, carrying the expression it came from. */
export class Unresolved {
  constructor(readonly expression: string) {}
  toString(): string {
    return `{${this.expression}}`;
  }
}

interface Lambda {
  kind: 'lambda';
  parameters: string[];
  body: Node;
  scope: Scope;
}

export type Value =
  null | boolean | number | string | Unresolved | Lambda | Value[] | { [key: string]: Value };

type Scope = Map<string, () => Value>;

export interface SyntaxProblem {
  line: number;
  column: number;
  text: string;
}

export interface Decorator {
  name: string;
  /** The first argument's source text, unquoted when it is a plain string. */
  argument: string | undefined;
}

export type DeclarationKind = 'param' | 'var' | 'resource' | 'module' | 'output' | 'type' | 'import';

export interface Declaration {
  kind: DeclarationKind;
  name: string;
  node: Node;
  decorators: Decorator[];
  /** Resource type (`Microsoft.X/y@version`) or module path. */
  target?: string;
  /** Resources: declared with `existing`. */
  existing?: boolean;
  /** The value expression (default value for params). */
  value?: Node;
}

/** One resource the template deploys, after loops and conditions. */
export interface ResourceInstance {
  /** The evaluated body (`name`, `properties`, `scope`, …). */
  body: { [key: string]: Value };
  /** False when an `if` condition depends on deployment-time values. */
  conditionKnown: boolean;
}

const wasmPath = path.join(
  path.dirname(require.resolve('tree-sitter-bicep/package.json')),
  'tree-sitter-bicep.wasm',
);

let parserPromise: Promise<Parser> | undefined;

/** The Bicep parser, loaded once per process (~20 ms). */
export function loadBicepParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const language = await Language.load(readFileSync(wasmPath));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

function isLambda(value: Value | undefined): value is Lambda {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    'kind' in value &&
    value.kind === 'lambda' &&
    'body' in value
  );
}

function isObject(value: Value | undefined): value is { [key: string]: Value } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Unresolved) &&
    !isLambda(value)
  );
}

function unquote(text: string): string {
  return text.startsWith("'") && text.endsWith("'") ? text.slice(1, -1) : text;
}

const escapes: Record<string, string> = {
  "\\'": "'",
  '\\\\': '\\',
  '\\n': '\n',
  '\\r': '\r',
  '\\t': '\t',
  '\\$': '$',
};

export class BicepFile {
  readonly declarations: Declaration[];
  private readonly moduleCache = new Map<string, BicepFile>();

  /**
   * @throws Error when the file cannot be read.
   */
  constructor(
    readonly file: string,
    readonly source: string,
    readonly root: Node,
    private readonly parser: Parser,
  ) {
    this.declarations = root.namedChildren.flatMap((node) => this.toDeclaration(node));
  }

  static async load(file: string): Promise<BicepFile> {
    const parser = await loadBicepParser();
    const source = readFileSync(file, 'utf8');
    const tree = parser.parse(source);
    if (!tree) throw new Error(`tree-sitter returned no tree for ${file}`);
    return new BicepFile(file, source, tree.rootNode, parser);
  }

  /** Parses Bicep text that is not (or not yet) a file; `file` only names it and anchors relative paths. */
  static async fromSource(file: string, source: string): Promise<BicepFile> {
    const parser = await loadBicepParser();
    const tree = parser.parse(source);
    if (!tree) throw new Error(`tree-sitter returned no tree for ${file}`);
    return new BicepFile(file, source, tree.rootNode, parser);
  }

  /** Loads another Bicep file relative to this one (modules, imports), sharing the parser. */
  relative(relativePath: string): BicepFile {
    const target = path.resolve(path.dirname(this.file), relativePath);
    let loaded = this.moduleCache.get(target);
    if (!loaded) {
      const source = readFileSync(target, 'utf8');
      const tree = this.parser.parse(source);
      if (!tree) throw new Error(`tree-sitter returned no tree for ${target}`);
      loaded = new BicepFile(target, source, tree.rootNode, this.parser);
      this.moduleCache.set(target, loaded);
    }
    return loaded;
  }

  /** Every ERROR or MISSING node, with its 1-based position. */
  syntaxProblems(): SyntaxProblem[] {
    const problems: SyntaxProblem[] = [];
    const visit = (node: Node): void => {
      if (node.type === 'ERROR' || node.isMissing) {
        problems.push({
          line: node.startPosition.row + 1,
          column: node.startPosition.column + 1,
          text: node.isMissing ? `missing ${node.type}` : node.text.slice(0, 80),
        });
      }
      for (const child of node.children) if (child) visit(child);
    };
    visit(this.root);
    return problems;
  }

  declarationsOf(kind: DeclarationKind): Declaration[] {
    return this.declarations.filter((d) => d.kind === kind);
  }

  /** @throws RangeError when no declaration has that name. */
  declaration(kind: DeclarationKind, name: string): Declaration {
    const found = this.declarations.find((d) => d.kind === kind && d.name === name);
    if (!found) throw new RangeError(`${path.basename(this.file)} declares no ${kind} "${name}"`);
    return found;
  }

  /** Every call of a function by name anywhere in the file (e.g. `listKeys`, `loadJsonContent`). */
  calls(functionName: string): Node[] {
    return this.root
      .descendantsOfType('call_expression')
      .filter((call): call is Node => !!call && call.childForFieldName('function')?.text === functionName);
  }

  /**
   * Parses a standalone expression (used to re-read lambda bodies, see `Evaluation.misparsedLambda`).
   * @throws SyntaxError when the expression does not parse.
   */
  parseExpression(text: string): Node {
    const tree = this.parser.parse(`var expression = (${text})\n`);
    const declaration = tree?.rootNode.namedChildren[0];
    const value = declaration?.namedChildren[declaration.namedChildren.length - 1];
    if (!tree || tree.rootNode.hasError || !value)
      throw new SyntaxError(`cannot parse the expression ${text}`);
    return value;
  }

  /**
   * Starts an evaluation of this file with the given parameter values (others take their defaults).
   * `variables` replaces variables by name: the in-memory way to try another input, e.g. another topology.
   */
  evaluate(parameters: Record<string, Value> = {}, variables: Record<string, Value> = {}): Evaluation {
    return new Evaluation(this, parameters, variables);
  }

  private toDeclaration(node: Node): Declaration[] {
    const kinds: Record<string, DeclarationKind> = {
      parameter_declaration: 'param',
      variable_declaration: 'var',
      resource_declaration: 'resource',
      module_declaration: 'module',
      output_declaration: 'output',
      type_declaration: 'type',
      import_functionality: 'import',
    };
    const kind = kinds[node.type];
    if (!kind) return [];
    const named = node.namedChildren.filter((c): c is Node => !!c);
    const name = named.find((c) => c.type === 'identifier')?.text ?? '';
    const decorators: Decorator[] = [];
    const previous = node.previousNamedSibling;
    if (previous?.type === 'decorators') {
      for (const decorator of previous.namedChildren) {
        const call = decorator?.namedChildren[0];
        const fn = call?.childForFieldName('function')?.text ?? call?.text ?? '';
        const firstArgument = call?.childForFieldName('arguments')?.namedChildren[0];
        decorators.push({
          name: fn,
          argument: firstArgument ? this.stringOrText(firstArgument) : undefined,
        });
      }
    }
    const declaration: Declaration = { kind, name, node, decorators };
    if (kind === 'resource' || kind === 'module') {
      const target = named.find((c) => c.type === 'string');
      if (target) declaration.target = this.stringOrText(target);
      declaration.existing = node.children.some((c) => c?.type === 'existing');
      declaration.value = named[named.length - 1];
    } else if (kind === 'param') {
      // `param name type = default`: the default is what follows `=`.
      const equals = node.children.findIndex((c) => c?.type === '=');
      if (equals >= 0) declaration.value = node.children[equals + 1] ?? undefined;
    } else if (kind === 'var' || kind === 'output') {
      declaration.value = named[named.length - 1];
    }
    return [declaration];
  }

  private stringOrText(node: Node): string {
    if (node.type === 'string' && node.namedChildren.every((c) => c?.type !== 'interpolation')) {
      return node.namedChildren
        .map((c) => (c?.type === 'escape_sequence' ? (escapes[c.text] ?? c.text) : (c?.text ?? '')))
        .join('');
    }
    return unquote(node.text);
  }
}

/** Evaluates one file's expressions for one set of parameter values; values are computed lazily and cached. */
export class Evaluation {
  private readonly scope: Scope = new Map();
  private readonly cache = new Map<string, Value>();

  constructor(
    readonly bicep: BicepFile,
    readonly parameters: Record<string, Value>,
    readonly variables: Record<string, Value> = {},
  ) {
    for (const declaration of bicep.declarations) {
      const key = declaration.name;
      if (declaration.kind === 'param') {
        this.scope.set(key, () =>
          this.memo(`param:${key}`, () => {
            if (key in parameters) return parameters[key] ?? null;
            return declaration.value ? this.value(declaration.value, this.scope) : new Unresolved(key);
          }),
        );
      } else if (declaration.kind === 'var') {
        this.scope.set(key, () =>
          this.memo(`var:${key}`, () =>
            key in variables ? (variables[key] ?? null) : this.value(declaration.value!, this.scope),
          ),
        );
      } else if (declaration.kind === 'resource') {
        this.scope.set(key, () => this.memo(`resource:${key}`, () => this.resourceReference(declaration)));
      } else if (declaration.kind === 'module') {
        this.scope.set(key, () => this.memo(`module:${key}`, () => this.moduleReference(declaration)));
      }
    }
  }

  /** A parameter, variable or output by name. */
  get(name: string): Value {
    const output = this.bicep.declarations.find((d) => d.kind === 'output' && d.name === name);
    if (output) return this.value(output.value!, this.scope);
    const binding = this.scope.get(name);
    if (!binding) throw new RangeError(`${path.basename(this.bicep.file)} has no "${name}"`);
    return binding();
  }

  /** The instances a resource declaration deploys (one, none, or one per loop item). */
  resourceInstances(name: string): ResourceInstance[] {
    return this.instancesOf(this.bicep.declaration('resource', name));
  }

  /** The evaluation of a module as declared here: its file, with the parameters this file passes. */
  module(name: string): Evaluation {
    const declaration = this.bicep.declaration('module', name);
    const [instance] = this.instancesOf(declaration);
    if (!instance) throw new RangeError(`module "${name}" is not deployed`);
    const params = instance.body['params'];
    return this.bicep.relative(declaration.target!).evaluate(isObject(params) ? params : {});
  }

  private memo(key: string, compute: () => Value): Value {
    if (!this.cache.has(key)) this.cache.set(key, compute());
    return this.cache.get(key)!;
  }

  private instancesOf(declaration: Declaration): ResourceInstance[] {
    const body = declaration.value!;
    return this.expand(body, this.scope);
  }

  private expand(node: Node, scope: Scope): ResourceInstance[] {
    if (node.type === 'for_statement') {
      const { items, bind } = this.loop(node, scope);
      const bodyNode = node.childForFieldName('body')!;
      return items.flatMap((item, index) => this.expand(bodyNode, bind(item, index)));
    }
    if (node.type === 'if_statement') {
      const [condition, body] = node.namedChildren as Node[];
      const test = this.value(condition!, scope);
      if (test === false) return [];
      return this.expand(body!, scope).map((i) => ({
        ...i,
        conditionKnown: i.conditionKnown && test === true,
      }));
    }
    const value = this.value(node, scope);
    if (!isObject(value)) throw new TypeError(`resource body is not an object: ${node.text.slice(0, 60)}`);
    return [{ body: value, conditionKnown: true }];
  }

  /** `[for x in items: …]`, `[for (x, i) in items: …]`: the items and a scope binder. */
  private loop(node: Node, scope: Scope): { items: Value[]; bind: (item: Value, index: number) => Scope } {
    const named = node.namedChildren.filter((c): c is Node => !!c);
    const parameters = named[0]!;
    const enumerable = named[1]!;
    let itemName: string;
    let indexName: string | undefined;
    if (parameters.type === 'for_loop_parameters') {
      itemName = parameters.namedChildren.find((c) => c?.type === 'loop_variable')?.text ?? '';
      indexName = parameters.namedChildren.find((c) => c?.type === 'loop_enumerator')?.text;
    } else {
      itemName = parameters.text;
    }
    const collection = this.value(enumerable, scope);
    if (!Array.isArray(collection)) throw new TypeError(`loop over a non-array: ${enumerable.text}`);
    return {
      items: collection,
      bind: (item, index) => {
        const inner: Scope = new Map(scope);
        inner.set(itemName, () => item);
        if (indexName) inner.set(indexName, () => index);
        return inner;
      },
    };
  }

  private resourceReference(declaration: Declaration): Value {
    // A symbolic reference: its name is known when the body's name is; ids and properties are deployment-time.
    const type = declaration.target?.split('@')[0] ?? '';
    const reference = (name: Value | undefined, index?: number): Value => {
      const symbol = index === undefined ? declaration.name : `${declaration.name}[${index}]`;
      return {
        name: name ?? new Unresolved(`${symbol}.name`),
        type,
        id: new Unresolved(`${symbol}.id`),
        properties: new Unresolved(`${symbol}.properties`),
      };
    };
    const instances = this.instancesOf(declaration);
    if (declaration.value?.type === 'for_statement') {
      return instances.map((instance, index) => reference(instance.body['name'], index));
    }
    return reference(instances[0]?.body['name']);
  }

  private moduleReference(declaration: Declaration): Value {
    const outputs: { [key: string]: Value } = {};
    const moduleFile = this.bicep.relative(declaration.target!);
    let evaluation: Evaluation | undefined;
    for (const output of moduleFile.declarationsOf('output')) {
      Object.defineProperty(outputs, output.name, {
        enumerable: true,
        get: () => {
          evaluation ??= this.module(declaration.name);
          return evaluation.get(output.name);
        },
      });
    }
    return { name: new Unresolved(`${declaration.name}.name`), outputs };
  }

  /**
   * tree-sitter-bicep 1.1 gives a lambda the shortest possible body: `t => t.purpose == 'work'` parses as
   * `((t => t).purpose) == 'work'`. When an expression starts with a lambda, the lambda's real body is
   * everything after its `=>` up to the end of that expression; it is parsed again on its own.
   */
  private misparsedLambda(node: Node, scope: Scope): Lambda | undefined {
    const wrapping = ['member_expression', 'subscript_expression', 'binary_expression', 'ternary_expression'];
    if (!wrapping.includes(node.type)) return undefined;
    let first = node.namedChildren[0];
    while (first && wrapping.includes(first.type)) first = first.namedChildren[0];
    if (first?.type !== 'lambda_expression') return undefined;
    const arrow = first.children.find((c) => c?.type === '=>');
    if (!arrow) return undefined;
    const parameters = first.namedChildren[0]!;
    const names =
      parameters.type === 'parenthesized_expression'
        ? parameters.namedChildren.map((c) => c?.text ?? '')
        : [parameters.text];
    const bodyText = this.bicep.source.slice(arrow.endIndex, node.endIndex);
    let body = this.reparsed.get(node.id);
    if (!body) {
      body = this.bicep.parseExpression(bodyText);
      this.reparsed.set(node.id, body);
    }
    return { kind: 'lambda', parameters: names, body, scope };
  }

  private readonly reparsed = new Map<number, Node>();

  /** @throws TypeError or RangeError when the Bicep does something this evaluator (or Bicep) refuses. */
  value(node: Node, scope: Scope): Value {
    const named = node.namedChildren.filter((c): c is Node => !!c);
    const lambda = this.misparsedLambda(node, scope);
    if (lambda) return lambda;
    switch (node.type) {
      case 'string':
        return this.stringValue(node, scope);
      case 'multiline_string':
        return node.text.replace(/^'''\r?\n?/, '').replace(/'''$/, '');
      case 'number':
        return Number(node.text);
      case 'boolean':
        return node.text === 'true';
      case 'null':
        return null;
      case 'array':
        return named.map((child) => this.value(child, scope));
      case 'object': {
        const result: { [key: string]: Value } = {};
        for (const property of named) {
          if (property.type !== 'object_property') continue;
          const [key, value] = property.namedChildren.filter((c): c is Node => !!c);
          const keyText = key!.type === 'string' ? String(this.value(key!, scope)) : key!.text;
          result[keyText] = this.value(value!, scope);
        }
        return result;
      }
      case 'identifier': {
        const binding = scope.get(node.text);
        return binding ? binding() : new Unresolved(node.text);
      }
      case 'parenthesized_expression':
        return this.value(named[0]!, scope);
      case 'member_expression':
        return this.member(node, scope);
      case 'subscript_expression': {
        const target = this.value(node.childForFieldName('object')!, scope);
        const index = this.value(node.childForFieldName('index')!, scope);
        if (target instanceof Unresolved || index instanceof Unresolved) return new Unresolved(node.text);
        if (Array.isArray(target) && typeof index === 'number') return target[index] ?? null;
        if (isObject(target) && typeof index === 'string') return target[index] ?? null;
        throw new TypeError(`cannot index ${node.text}`);
      }
      case 'unary_expression': {
        const operand = this.value(node.childForFieldName('argument')!, scope);
        const operator = node.childForFieldName('operator')?.text;
        if (operand instanceof Unresolved) return new Unresolved(node.text);
        if (operator === '!') return !operand;
        if (operator === '-') return -Number(operand);
        throw new TypeError(`unknown unary operator in ${node.text}`);
      }
      case 'binary_expression':
        return this.binary(node, scope);
      case 'ternary_expression': {
        const condition = this.value(node.childForFieldName('condition')!, scope);
        if (condition instanceof Unresolved) return new Unresolved(node.text);
        return this.value(node.childForFieldName(condition ? 'consequence' : 'alternative')!, scope);
      }
      case 'lambda_expression': {
        const [parameters, body] = named;
        const names =
          parameters!.type === 'parenthesized_expression'
            ? parameters!.namedChildren.map((c) => c?.text ?? '')
            : [parameters!.text];
        return { kind: 'lambda', parameters: names, body: body!, scope };
      }
      case 'call_expression':
        return this.call(node, scope);
      case 'for_statement': {
        const { items, bind } = this.loop(node, scope);
        const body = node.childForFieldName('body')!;
        return items.flatMap((item, index): Value[] => {
          const inner = bind(item, index);
          if (body.type === 'if_statement') {
            const [condition, then] = body.namedChildren as Node[];
            const test = this.value(condition!, inner);
            return test === false ? [] : [this.value(then!, inner)];
          }
          return [this.value(body, inner)];
        });
      }
      default:
        return new Unresolved(node.text);
    }
  }

  private stringValue(node: Node, scope: Scope): Value {
    let text = '';
    for (const part of node.namedChildren) {
      if (!part) continue;
      if (part.type === 'string_content') text += part.text;
      else if (part.type === 'escape_sequence') text += escapes[part.text] ?? part.text;
      else if (part.type === 'interpolation') {
        const value = this.value(part.namedChildren[0]!, scope);
        text +=
          value instanceof Unresolved
            ? value.toString()
            : typeof value === 'string'
              ? value
              : JSON.stringify(value);
      }
    }
    return text;
  }

  private member(node: Node, scope: Scope): Value {
    const target = this.value(node.childForFieldName('object')!, scope);
    const property = node.childForFieldName('property')!.text;
    const safe = node.children.some((c) => c?.type === '.?');
    if (target instanceof Unresolved) return new Unresolved(`${target.expression}.${property}`);
    if (target === null && safe) return null;
    if (isObject(target)) {
      if (property in target) return target[property] ?? null;
      if (safe) return null;
      throw new RangeError(`${node.text}: the object has no property "${property}"`);
    }
    throw new TypeError(`${node.text}: cannot read "${property}" of ${JSON.stringify(target)}`);
  }

  private binary(node: Node, scope: Scope): Value {
    const operator = node.childForFieldName('operator')?.text;
    const left = this.value(node.childForFieldName('left')!, scope);
    if (operator === '??') return left === null ? this.value(node.childForFieldName('right')!, scope) : left;
    if (operator === '&&' && left === false) return false;
    if (operator === '||' && left === true) return true;
    const right = this.value(node.childForFieldName('right')!, scope);
    if (left instanceof Unresolved || right instanceof Unresolved) return new Unresolved(node.text);
    switch (operator) {
      case '==':
        return JSON.stringify(left) === JSON.stringify(right);
      case '!=':
        return JSON.stringify(left) !== JSON.stringify(right);
      case '&&':
      case '||':
        return right;
      case '<':
        return Number(left) < Number(right);
      case '<=':
        return Number(left) <= Number(right);
      case '>':
        return Number(left) > Number(right);
      case '>=':
        return Number(left) >= Number(right);
      case '+':
        return Number(left) + Number(right);
      case '-':
        return Number(left) - Number(right);
      case '*':
        return Number(left) * Number(right);
      case '/':
        return Math.trunc(Number(left) / Number(right));
      case '%':
        return Number(left) % Number(right);
      default:
        throw new TypeError(`unknown operator ${operator} in ${node.text}`);
    }
  }

  private apply(fn: Value, ...args: Value[]): Value {
    if (!isLambda(fn)) throw new TypeError('expected a lambda');
    const inner: Scope = new Map(fn.scope);
    fn.parameters.forEach((name, i) => inner.set(name, () => args[i] ?? null));
    return this.value(fn.body, inner);
  }

  private call(node: Node, scope: Scope): Value {
    const fn = node.childForFieldName('function')!.text;
    const argumentNodes = (node.childForFieldName('arguments')?.namedChildren ?? []).filter(
      (c): c is Node => !!c,
    );
    const args = argumentNodes.map((a) => this.value(a, scope));
    const unresolved = (): Unresolved => new Unresolved(node.text);
    const anyUnresolved = args.some((a) => a instanceof Unresolved);
    const array = (value: Value): Value[] => {
      if (!Array.isArray(value)) throw new TypeError(`${fn}() expects an array in ${node.text}`);
      return value;
    };
    switch (fn) {
      case 'loadJsonContent':
        return JSON.parse(
          readFileSync(path.resolve(path.dirname(this.bicep.file), String(args[0])), 'utf8'),
        ) as Value;
      case 'loadTextContent':
        return readFileSync(path.resolve(path.dirname(this.bicep.file), String(args[0])), 'utf8');
      case 'map':
        return anyUnresolved ? unresolved() : array(args[0]!).map((item, i) => this.apply(args[1]!, item, i));
      case 'filter':
        return anyUnresolved
          ? unresolved()
          : array(args[0]!).filter((item, i) => this.apply(args[1]!, item, i) === true);
      case 'flatten':
        return anyUnresolved ? unresolved() : array(args[0]!).flatMap((inner) => array(inner));
      case 'union':
        if (anyUnresolved) return unresolved();
        if (args.every(Array.isArray))
          return [...new Set(args.flatMap((a) => array(a)).map((v) => JSON.stringify(v)))].map(
            (v) => JSON.parse(v) as Value,
          );
        return Object.assign({}, ...args.map((a) => (isObject(a) ? a : {}))) as Value;
      case 'concat':
        if (anyUnresolved) return unresolved();
        return args.every(Array.isArray) ? args.flatMap((a) => array(a)) : args.map(String).join('');
      case 'contains': {
        const [container, item] = args;
        if (anyUnresolved) return unresolved();
        if (Array.isArray(container))
          return container.some((c) => JSON.stringify(c) === JSON.stringify(item));
        if (isObject(container)) return String(item) in container;
        return String(container).includes(String(item));
      }
      case 'empty': {
        const [value] = args;
        if (value instanceof Unresolved) return unresolved();
        if (value === null || value === '') return true;
        if (Array.isArray(value)) return value.length === 0;
        return isObject(value) ? Object.keys(value).length === 0 : false;
      }
      case 'length': {
        const [value] = args;
        if (value instanceof Unresolved) return unresolved();
        if (Array.isArray(value) || typeof value === 'string') return value.length;
        return isObject(value) ? Object.keys(value).length : unresolved();
      }
      case 'items': {
        const [value] = args;
        if (!isObject(value)) return unresolved();
        return Object.keys(value)
          .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))
          .map((key) => ({ key, value: value[key] ?? null }));
      }
      case 'join':
        return anyUnresolved ? unresolved() : array(args[0]!).map(String).join(String(args[1]));
      case 'replace':
        // A deployment-time replacement (a resource id) is written as `{expression}` so the text stays checkable.
        if (args[0] instanceof Unresolved || args[1] instanceof Unresolved) return unresolved();
        return String(args[0]).split(String(args[1])).join(String(args[2]));
      case 'toLower':
        return anyUnresolved ? unresolved() : String(args[0]).toLowerCase();
      case 'toUpper':
        return anyUnresolved ? unresolved() : String(args[0]).toUpperCase();
      case 'string':
        // An unresolved argument stays itself, so checks can still see where a value comes from.
        if (args[0] instanceof Unresolved) return args[0];
        return typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
      case 'min':
      case 'max': {
        if (anyUnresolved) return unresolved();
        const numbers = (args.length === 1 && Array.isArray(args[0]) ? args[0] : args).map(Number);
        return fn === 'min' ? Math.min(...numbers) : Math.max(...numbers);
      }
      case 'first':
        return anyUnresolved ? unresolved() : (array(args[0]!)[0] ?? null);
      case 'subscriptionResourceId':
        if (anyUnresolved) return unresolved();
        return `/subscriptions/{subscriptionId}/providers/${String(args[0])}/${args.slice(1).map(String).join('/')}`;
      case 'guid':
        // Deterministic for the tests: the arguments themselves, which is what makes a guid() name repeatable.
        return `guid(${args.map((a) => (a instanceof Unresolved ? a.expression : String(a))).join(', ')})`;
      default:
        return unresolved();
    }
  }
}

/** Parses every `.bicep` file under a directory's tree, in a stable order. */
export async function loadBicepFiles(files: string[]): Promise<BicepFile[]> {
  return Promise.all(files.map((file) => BicepFile.load(file)));
}
