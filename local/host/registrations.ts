/**
 * Loads a compiled Functions app the way the Node.js worker does — with `@azure/functions-core`
 * provided — and hands back every registration with its full binding metadata and handler.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fastGlob from 'fast-glob';
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
  /** The first entry file loaded (the worker's `scriptFile` for every function). */
  appEntry: string;
  /** Every entry file loaded, in load order. */
  entryFiles: string[];
  /** The function app directory: the folder given, or the entry file's folder. */
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
 * The files an `--app` path stands for, as the Node.js worker resolves them: a file is loaded as it is;
 * a folder is a function app directory whose package.json `main` is a file or a glob
 * (e.g. `dist/src/{index.js,functions/*.js}`), matched relative to that folder.
 * @throws Error in the worker's words when the entry does not exist or the glob matches nothing.
 */
export function resolveAppEntries(appPath: string): { directory: string; files: string[] } {
  const resolved = path.resolve(appPath);
  const stat = statSync(resolved, { throwIfNoEntry: false });
  if (!stat) throw new Error(`the app entry ${resolved} does not exist (run \`npm run build\` first)`);
  if (stat.isFile()) return { directory: path.dirname(resolved), files: [resolved] };
  const packageJson = path.join(resolved, 'package.json');
  if (!existsSync(packageJson)) {
    throw new Error(`the app folder ${resolved} has no package.json (its "main" names the entry files)`);
  }
  let main: unknown;
  try {
    main = (JSON.parse(readFileSync(packageJson, 'utf8')) as { main?: unknown }).main;
  } catch (err) {
    throw new Error(`cannot read ${packageJson}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof main !== 'string' || main.trim() === '') {
    throw new Error(`${packageJson} has no "main": set it to the entry file or a glob of entry files`);
  }
  // The worker globs with globby (fast-glob underneath), relative to the app folder, in its order.
  const files = fastGlob.sync(main, { cwd: resolved, absolute: true });
  if (files.length === 0) {
    const reason = fastGlob.isDynamicPattern(main)
      ? 'Found zero files matching the supplied pattern'
      : 'File does not exist';
    throw new Error(
      `Worker was unable to load entry point "${main}": ${reason} (run \`npm run build\` first?)`,
    );
  }
  return { directory: resolved, files: files.map((f) => path.normalize(f)) };
}

/**
 * Loads the compiled app and captures its registrations, hooks and programming model.
 * @param appPath an entry file, or a function app folder whose package.json `main` names the entries.
 * @throws Error when the entry does not exist (build first), or whatever the app throws while loading.
 */
export function loadApp(appPath: string, log?: CoreCollection['log']): LoadedApp {
  const { directory, files } = resolveAppEntries(appPath);
  forgetAppModules(directory);
  // Node's own loader, not a test runner's require (jest replaces createRequire): the core module
  // is provided through Node's resolver.
  const load = (
    nodeModuleClass() as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown }
  )._load;
  const collection = collectRegistrations(() => {
    for (const file of files) load(file, null, false);
  }, log);
  return {
    appEntry: files[0] ?? directory,
    entryFiles: files,
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
