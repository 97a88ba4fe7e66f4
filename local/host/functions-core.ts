/**
 * Our stand-in for `@azure/functions-core`, the module the real Node.js worker provides to
 * `@azure/functions`. The library registers functions, hooks and its programming model through it,
 * so a host that provides it sees the app exactly as Azure does.
 *
 * Only the shapes the host needs are declared here; the contract is the one in the library's
 * `types-core/index.d.ts`.
 */
import Module from 'node:module';

export const coreModuleName = '@azure/functions-core';

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

export interface RpcBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  dataType?: 'undefined' | 'string' | 'binary' | 'stream' | null;
  properties?: Record<string, unknown> | null;
  [key: string]: unknown;
}

export interface RpcRetryOptions {
  maxRetryCount?: number | null;
  retryStrategy?: 'exponentialBackoff' | 'fixedDelay' | null;
  delayInterval?: { seconds?: number | null; nanos?: number | null } | null;
  minimumInterval?: { seconds?: number | null; nanos?: number | null } | null;
  maximumInterval?: { seconds?: number | null; nanos?: number | null } | null;
  [key: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: RpcRetryOptions;
}

export interface RpcNullableString {
  value?: string | null;
}

export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: RpcNullableString | null;
  path?: RpcNullableString | null;
  expires?: { value?: { seconds?: number | null; nanos?: number | null } | Date | null } | null;
  secure?: { value?: boolean | null } | null;
  httpOnly?: { value?: boolean | null } | null;
  sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone' | null;
  maxAge?: { value?: number | null } | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  enableContentNegotiation?: boolean | null;
  rawBody?: RpcTypedData | null;
  cookies?: RpcHttpCookie[] | null;
}

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
  collectionBytes?: { bytes?: Uint8Array[] | null } | null;
  collectionString?: { string?: string[] | null } | null;
  collectionDouble?: { double?: number[] | null } | null;
  collectionSint64?: { sint64?: number[] | null } | null;
}

export interface RpcInvocationRequest {
  invocationId?: string | null;
  functionId?: string | null;
  inputData?: Array<{ name?: string | null; data?: RpcTypedData | null }> | null;
  triggerMetadata?: Record<string, RpcTypedData> | null;
  traceContext?: {
    traceParent?: string | null;
    traceState?: string | null;
    attributes?: Record<string, string> | null;
  } | null;
  retryContext?: {
    retryCount?: number | null;
    maxRetryCount?: number | null;
    exception?: { message?: string | null; source?: string | null; stackTrace?: string | null } | null;
  } | null;
}

export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: Array<{ name?: string | null; data?: RpcTypedData | null }> | null;
  returnValue?: RpcTypedData | null;
}

export type InvocationState = 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';

export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: CoreFunctionMetadata & { directory?: string; scriptFile?: string };
  state?: InvocationState;
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  getCapabilities?(
    capabilities: Record<string, string>,
  ): Record<string, string> | Promise<Record<string, string>>;
}

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export type HookCallback = (context: Record<string, unknown>) => unknown;

/** What one load of an app registered through the core API. */
export interface CoreCollection {
  functions: Array<{ metadata: CoreFunctionMetadata; callback: FunctionCallback }>;
  hooks: Record<string, HookCallback[]>;
  programmingModel?: ProgrammingModel;
  /** Lines the library logs outside invocations (`coreApi.log`). */
  log: (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;
}

class Disposable {
  #callOnDispose: (() => unknown) | undefined;

  static from(...likes: Array<{ dispose: () => unknown }>): Disposable {
    return new Disposable(() => likes.forEach((like) => like.dispose()));
  }

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): unknown {
    const call = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return call?.();
  }
}

interface CoreState {
  /** Registrations go to the collection of the app being loaded; one process may load apps several times. */
  target: CoreCollection | undefined;
  /** The library sets its model once per process (module state), so it outlives a single load. */
  programmingModel: ProgrammingModel | undefined;
  module: Record<string, unknown>;
  installed: boolean;
}

// One state per process, even if this file is evaluated by several module registries (jest). It lives on
// the core module's exports in Node's own module cache: jest clears globals it sees set between test
// files, but not Node's cache, where @azure/functions keeps its reference to the core module.
const stateKey = Symbol.for('triage.local-host.functions-core');

function coreState(): CoreState {
  const cache = (
    nodeModuleClass() as unknown as { _cache: Record<string, { exports?: unknown } | undefined> }
  )._cache;
  const exported = cache[coreModuleName]?.exports as Record<symbol, CoreState | undefined> | undefined;
  const existing = exported?.[stateKey];
  if (existing) return existing;
  const created: CoreState = { target: undefined, programmingModel: undefined, module: {}, installed: false };
  created.module = createCoreModule(created);
  Object.defineProperty(created.module, stateKey, { value: created, enumerable: false });
  return created;
}

function requireTarget(state: CoreState, what: string): CoreCollection {
  if (!state.target) {
    throw new Error(`${coreModuleName}: ${what} was called while no app is being loaded by the local host`);
  }
  return state.target;
}

function createCoreModule(state: CoreState): Record<string, unknown> {
  return {
    version: '4.0.0-local',
    hostVersion: '4.1000.0-local',
    Disposable,
    registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable {
      const target = requireTarget(state, 'registerFunction');
      if (target.functions.some((f) => f.metadata.name.toLowerCase() === metadata.name.toLowerCase())) {
        throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
      }
      const entry = { metadata, callback };
      target.functions.push(entry);
      return new Disposable(() => {
        target.functions = target.functions.filter((f) => f !== entry);
      });
    },
    registerHook(hookName: string, callback: HookCallback): Disposable {
      const target = requireTarget(state, 'registerHook');
      const known: string[] = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'];
      if (!known.includes(hookName)) throw new RangeError(`Unrecognized hook "${hookName}"`);
      const list = (target.hooks[hookName] ??= []);
      list.push(callback);
      return new Disposable(() => {
        const index = list.indexOf(callback);
        if (index >= 0) list.splice(index, 1);
      });
    },
    setProgrammingModel(model: ProgrammingModel): void {
      state.programmingModel = model;
      if (state.target) state.target.programmingModel = model;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
      return state.target?.programmingModel ?? state.programmingModel;
    },
    log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
      state.target?.log(level, category, message);
    },
  };
}

/**
 * Node's own Module class. jest hands test code a subclass of it whose statics shadow the real
 * ones when assigned, so walk up to the class Node's loader actually calls.
 */
export function nodeModuleClass(): typeof Module {
  let current: typeof Module = Module;
  for (;;) {
    const parent: unknown = Object.getPrototypeOf(current);
    if (typeof parent !== 'function' || parent === Function.prototype || !('_resolveFilename' in parent))
      return current;
    current = parent as unknown as typeof Module;
  }
}

/**
 * Makes `require('@azure/functions-core')` resolve to this host's core module in the real Node
 * module system (also when the host itself runs under jest). Idempotent.
 */
export function installCoreModule(): void {
  const state = coreState();
  if (state.installed) return;
  state.installed = true;
  const RealModule = nodeModuleClass();
  const internals = RealModule as unknown as {
    _resolveFilename: (request: string, parent: unknown, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const resolve = internals._resolveFilename;
  internals._resolveFilename = function (request: string, parent: unknown, ...rest: unknown[]): string {
    if (request === coreModuleName) return coreModuleName;
    return resolve.call(this, request, parent, ...rest);
  };
  const cached = new RealModule(coreModuleName);
  cached.filename = coreModuleName;
  cached.loaded = true;
  cached.exports = state.module;
  internals._cache[coreModuleName] = cached;
}

/**
 * Runs `load` with registrations captured into a fresh collection.
 * @throws whatever `load` throws (the app's own load errors).
 */
export function collectRegistrations(
  load: () => void,
  log: CoreCollection['log'] = () => undefined,
): CoreCollection {
  installCoreModule();
  const state = coreState();
  if (state.target) throw new Error('another app is being loaded by the local host at the same time');
  const collection: CoreCollection = { functions: [], hooks: {}, programmingModel: undefined, log };
  state.target = collection;
  try {
    load();
  } finally {
    state.target = undefined;
  }
  collection.programmingModel ??= state.programmingModel;
  // Later library calls (hooks registered at runtime, coreApi.log) go to the latest app loaded.
  state.target = undefined;
  return collection;
}
