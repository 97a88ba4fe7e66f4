/**
 * Loads a compiled Functions app the way the Node.js worker does — with `@azure/functions-core`
 * provided — and hands back every registration with its full binding metadata and handler.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  collectRegistrations,
  nodeModuleClass,
  type CoreCollection,
  type FunctionCallback,
  type HookCallback,
  type ProgrammingModel,
  type RpcBindingInfo,
  type RpcRetryOptions,
} from './functions-core';

/** The trigger binding of a function: its type plus every property the app declared (route, topicName, …). */
export interface FunctionTrigger {
  type: 'httpTrigger' | 'serviceBusTrigger' | 'timerTrigger' | (string & {});
  /** The binding name (e.g. `httpTrigger1`), as the library generated or the app chose. */
  name: string;
  route?: string;
  methods?: string[];
  authLevel?: 'anonymous' | 'function' | 'admin';
  topicName?: string;
  subscriptionName?: string;
  queueName?: string;
  connection?: string;
  cardinality?: 'one' | 'many';
  isSessionsEnabled?: boolean;
  schedule?: string;
  runOnStartup?: boolean;
  useMonitor?: boolean;
  dataType?: string;
  [key: string]: unknown;
}

export interface FunctionRegistration {
  name: string;
  trigger: FunctionTrigger;
  /** Every binding exactly as registered through `registerFunction` (trigger, return, extra inputs/outputs). */
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: RpcRetryOptions;
  /** The app's handler, as registered (hooks may replace it per invocation). */
  handler: FunctionCallback;
}

/** One load of an app: its registrations plus what the host needs to invoke them like the worker. */
export interface LoadedApp {
  appEntry: string;
  directory: string;
  registrations: FunctionRegistration[];
  hooks: Record<string, HookCallback[]>;
  programmingModel?: ProgrammingModel;
}

function isTriggerType(type: string | null | undefined): boolean {
  return !!type && /trigger$/i.test(type);
}

function toRegistration(entry: CoreCollection['functions'][number]): FunctionRegistration {
  const { metadata, callback } = entry;
  const triggerEntry = Object.entries(metadata.bindings).find(([, binding]) => isTriggerType(binding.type));
  if (!triggerEntry) throw new TypeError(`function "${metadata.name}" has no trigger binding`);
  const [bindingName, binding] = triggerEntry;
  const { direction: _direction, properties: _properties, ...declared } = binding;
  const trigger = { ...declared, name: bindingName, type: String(binding.type) } as FunctionTrigger;
  const registration: FunctionRegistration = {
    name: metadata.name,
    trigger,
    bindings: metadata.bindings,
    handler: callback,
  };
  if (metadata.retryOptions) registration.retryOptions = metadata.retryOptions;
  return registration;
}

/** Forgets the app's own compiled files so a second load in the same process registers again. */
function forgetAppModules(directory: string): void {
  const cache = (nodeModuleClass() as unknown as { _cache: Record<string, unknown> })._cache;
  const prefix = directory + path.sep;
  for (const key of Object.keys(cache)) {
    if (key.startsWith(prefix) && !key.includes(`${path.sep}node_modules${path.sep}`)) delete cache[key];
  }
}

/**
 * Loads the compiled app and captures its registrations, hooks and programming model.
 * @throws Error when the entry file does not exist (build first), or whatever the app throws while loading.
 */
export function loadApp(appEntry: string, log?: CoreCollection['log']): LoadedApp {
  const entry = path.resolve(appEntry);
  if (!existsSync(entry)) {
    throw new Error(`the app entry ${entry} does not exist (run \`npm run build\` first)`);
  }
  const directory = path.dirname(entry);
  forgetAppModules(directory);
  // Node's own loader, not a test runner's require (jest replaces createRequire): the core module
  // is provided through Node's resolver.
  const load = (
    nodeModuleClass() as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown }
  )._load;
  const collection = collectRegistrations(() => {
    load(entry, null, false);
  }, log);
  return {
    appEntry: entry,
    directory,
    registrations: collection.functions.map(toRegistration),
    hooks: collection.hooks,
    programmingModel: collection.programmingModel,
  };
}

/**
 * Loads the compiled app (e.g. `dist/functions/index.js`) with `@azure/functions-core` provided and
 * returns every function it registers, with full binding metadata and the handler.
 * @throws Error when the entry file does not exist, or whatever the app throws while loading.
 */
export function loadRegistrations(appEntry: string): FunctionRegistration[] {
  return loadApp(appEntry).registrations;
}
