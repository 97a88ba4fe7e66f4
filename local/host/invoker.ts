/**
 * The worker's half of an invocation: build the core context, let the app's programming model turn
 * rpc data into arguments, run the hooks and the handler under the function timeout, and turn the
 * result back into rpc data — the sequence the Node.js worker follows.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ensureError } from '../../shared/domain/errors';
import type {
  CoreInvocationContext,
  FunctionCallback,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
  RpcTypedData,
} from './functions-core';
import type { OutputDelivery } from './outputs';
import type { FunctionRegistration, LoadedApp } from './registrations';

export interface InvocationInput {
  /** Why the host runs it, as Core Tools prints it (`Reason='…'`). */
  reason: string;
  /** The trigger's input data, as the host would send it over rpc. */
  triggerData: RpcTypedData;
  triggerMetadata?: Record<string, RpcTypedData>;
  /** Extra lines Core Tools prints after `Executing` (e.g. Service Bus trigger details). */
  details?: string;
  /** Values binding expressions (`{name}` in an output's path) resolve from. */
  bindingData?: Record<string, unknown>;
  /** The caller's W3C `traceparent` (HTTP header, or a message's Diagnostic-Id): the invocation continues that trace. */
  traceParent?: string;
  traceState?: string;
  /** Set by a retry policy: which attempt this is, and what failed before. */
  retryContext?: RetryContext;
  /** The invocation id to use (HTTP streaming names the invocation before it starts). Default: a new UUID. */
  invocationId?: string;
}

export interface RetryContext {
  retryCount: number;
  maxRetryCount: number;
  exception?: Error;
}

export type InvocationOutcome =
  | {
      succeeded: true;
      invocationId: string;
      response: RpcInvocationResponse;
      /** The handler's result after postInvocation hooks, before the library converted it. */
      result: unknown;
      durationInMs: number;
    }
  | { succeeded: false; invocationId: string; error: Error; timedOut: boolean; durationInMs: number };

export interface InvokerOptions {
  app: LoadedApp;
  functionTimeoutInMs?: number;
  log: (line: string) => void;
  /** Delivers Service Bus, Blob and Table outputs after a successful run. */
  outputs?: OutputDelivery;
  /** Functions that must fail every invocation with this error (unsupported bindings, allowed at start-up). */
  blocked?: Map<string, Error>;
}

const traceParentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The trace context the host sends with an invocation: the caller's trace continued with a new span
 * (W3C Trace Context), or a new trace when the caller sent none.
 */
export function invocationTraceContext(
  traceParent: string | undefined,
  traceState: string | undefined,
): { traceParent: string; traceState: string; attributes: Record<string, string> } {
  const incoming = traceParent ? traceParentPattern.exec(traceParent.trim().toLowerCase()) : null;
  const valid = incoming && !/^0+$/.test(incoming[2] ?? '') && !/^0+$/.test(incoming[3] ?? '');
  const traceId = valid ? (incoming[2] ?? '') : randomBytes(16).toString('hex');
  const flags = valid ? (incoming[4] ?? '00') : '00';
  return {
    traceParent: `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}`,
    traceState: valid ? (traceState ?? '') : '',
    attributes: {},
  };
}

/** Thrown into an invocation that outlived `functionTimeout`. */
export class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutInMs: number) {
    super(
      `Timeout value of ${formatTimeSpan(timeoutInMs)} was exceeded by function: Functions.${functionName}`,
    );
    this.name = 'FunctionTimeoutError';
  }
}

function formatTimeSpan(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const fraction = ms % 1000 === 0 ? '' : `.${String(ms % 1000).padStart(3, '0')}`;
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}${fraction}`;
}

export class Invoker {
  readonly #options: InvokerOptions;
  readonly #appHookData: Record<string, unknown> = {};
  /** The worker's `hookData` for app-level hooks: appStart and appTerminate share it. */
  readonly #appLevelOnlyHookData: Record<string, unknown> = {};
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: InvokerOptions) {
    this.#options = options;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  /**
   * Runs the app's appStart (or appTerminate) hooks in registration order.
   * @throws the first error a hook throws.
   */
  async runAppHooks(name: 'appStart' | 'appTerminate'): Promise<void> {
    for (const hook of this.#options.app.hooks[name] ?? []) {
      const context: Record<string, unknown> = {
        hookData: this.#appLevelOnlyHookData,
        appHookData: this.#appHookData,
      };
      if (name === 'appStart') context.functionAppDirectory = this.#options.app.directory;
      await hook(context);
    }
  }

  /** Invokes one function; never throws: failures and timeouts come back as the outcome. */
  invoke(registration: FunctionRegistration, input: InvocationInput): Promise<InvocationOutcome> {
    const invocationId = input.invocationId ?? randomUUID();
    const started = performance.now();
    const { log } = this.#options;
    const name = registration.name;
    log(`Executing 'Functions.${name}' (Reason='${input.reason}', Id=${invocationId})`);
    if (input.details) log(input.details);

    const run = this.#run(registration, input, invocationId);
    const timeoutInMs = this.#options.functionTimeoutInMs;
    let timer: NodeJS.Timeout | undefined;
    const guarded: Promise<{ response: RpcInvocationResponse; result: unknown }> =
      timeoutInMs === undefined
        ? run
        : Promise.race([
            run,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new FunctionTimeoutError(name, timeoutInMs)), timeoutInMs);
              timer.unref();
            }),
          ]);
    // A timed-out handler keeps running (JavaScript cannot be cancelled); swallow its late failure.
    run.catch(() => undefined);

    const outcome = guarded.then(
      ({ response, result }): InvocationOutcome => {
        const durationInMs = Math.round(performance.now() - started);
        log(`Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${durationInMs}ms)`);
        return { succeeded: true, invocationId, response, result, durationInMs };
      },
      (err: unknown): InvocationOutcome => {
        const error = ensureError(err);
        const durationInMs = Math.round(performance.now() - started);
        log(`Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${durationInMs}ms)`);
        log(`[${name}] Result: Failure Exception: ${error.message}`);
        // The stack helps on the console; it never goes into an HTTP response.
        if (!(error instanceof FunctionTimeoutError) && error.stack) log(`[${name}] Stack: ${error.stack}`);
        return {
          succeeded: false,
          invocationId,
          error,
          timedOut: error instanceof FunctionTimeoutError,
          durationInMs,
        };
      },
    );
    const tracked = outcome.finally(() => {
      if (timer) clearTimeout(timer);
      this.#inFlight.delete(tracked);
    });
    this.#inFlight.add(tracked);
    return tracked;
  }

  /** Waits until no invocation is running, or until the deadline. Returns how many were still running. */
  async drain(timeoutInMs: number): Promise<number> {
    const deadline = Date.now() + timeoutInMs;
    while (this.#inFlight.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        }),
      ]);
      if (timer) clearTimeout(timer);
    }
    return this.#inFlight.size;
  }

  #runLogHooks(entry: {
    level: RpcLogLevel;
    category: RpcLogCategory;
    message: string;
    invocationContext: unknown;
  }): { level: RpcLogLevel; message: string } {
    const context: Record<string, unknown> = { ...entry, hookData: {}, appHookData: this.#appHookData };
    for (const hook of this.#options.app.hooks.log ?? []) {
      try {
        hook(context);
      } catch (err) {
        this.#options.log(`[host] log hook failed: ${ensureError(err).message}`);
      }
    }
    // Only user logs may be changed by hooks.
    if (entry.category !== 'user') return { level: entry.level, message: entry.message };
    return { level: context.level as RpcLogLevel, message: String(context.message) };
  }

  async #run(
    registration: FunctionRegistration,
    input: InvocationInput,
    invocationId: string,
  ): Promise<{ response: RpcInvocationResponse; result: unknown }> {
    const model = this.#options.app.programmingModel;
    if (!model) {
      throw new Error(
        'the app registered functions without a programming model (setProgrammingModel was never called)',
      );
    }
    const { log } = this.#options;
    const name = registration.name;
    const blocked = this.#options.blocked?.get(name);
    if (blocked) throw blocked;
    const retry = input.retryContext;
    // The library's context exists only after getArguments; logs before that have none.
    const current: { invocationContext?: unknown } = {};
    const coreContext: CoreInvocationContext = {
      invocationId,
      request: {
        invocationId,
        functionId: name,
        inputData: [{ name: registration.trigger.name, data: input.triggerData }],
        triggerMetadata: input.triggerMetadata ?? {},
        traceContext: invocationTraceContext(input.traceParent, input.traceState),
        ...(retry
          ? {
              retryContext: {
                retryCount: retry.retryCount,
                maxRetryCount: retry.maxRetryCount,
                ...(retry.exception
                  ? {
                      exception: {
                        message: retry.exception.message,
                        source: retry.exception.name,
                        stackTrace: retry.exception.stack ?? '',
                      },
                    }
                  : {}),
              },
            }
          : {}),
      },
      metadata: {
        name,
        bindings: registration.bindings,
        ...(registration.retryOptions ? { retryOptions: registration.retryOptions } : {}),
        directory: this.#options.app.directory,
        scriptFile: this.#options.app.appEntry,
      },
      log: (level: RpcLogLevel, category: RpcLogCategory, message: string) => {
        // Log hooks see (and may rewrite) user logs, as with the real worker.
        const entry = this.#runLogHooks({
          level,
          category,
          message,
          invocationContext: current.invocationContext,
        });
        if (entry.level === 'none') return;
        if (category === 'user') {
          const tag =
            entry.level === 'warning'
              ? ' WARNING'
              : entry.level === 'error' || entry.level === 'critical'
                ? ' ERROR'
                : '';
          log(`[${name}]${tag} ${entry.message}`);
        } else if (level === 'warning' || level === 'error' || level === 'critical') {
          log(`[${name}] (worker ${level}) ${message}`);
        }
      },
    };
    const invocationModel = await model.getInvocationModel(coreContext);
    const { context, inputs } = await invocationModel.getArguments();
    current.invocationContext = context;

    const hooks = this.#options.app.hooks;
    const hookData: Record<string, unknown> = {};
    const pre: Record<string, unknown> & { inputs: unknown[]; functionCallback: FunctionCallback } = {
      invocationContext: context,
      inputs,
      functionCallback: registration.handler,
      hookData,
      appHookData: this.#appHookData,
    };
    coreContext.state = 'preInvocationHooks';
    try {
      for (const hook of hooks.preInvocation ?? []) await hook(pre);
    } finally {
      coreContext.state = undefined;
    }

    let result: unknown;
    let error: unknown = null;
    coreContext.state = 'invocation';
    try {
      result = await invocationModel.invokeFunction(context, pre.inputs, pre.functionCallback);
    } catch (err) {
      error = err ?? new Error(`function ${name} threw ${String(err)}`);
    } finally {
      coreContext.state = undefined;
    }

    const post: Record<string, unknown> = {
      invocationContext: context,
      inputs: pre.inputs,
      result,
      error,
      hookData,
      appHookData: this.#appHookData,
    };
    coreContext.state = 'postInvocationHooks';
    try {
      for (const hook of hooks.postInvocation ?? []) await hook(post);
    } finally {
      coreContext.state = undefined;
    }
    if (post.error !== undefined && post.error !== null) throw ensureError(post.error);
    const response = await invocationModel.getResponse(context, post.result);
    // Outputs go out only after success, and their failure fails the invocation, as in Azure.
    await this.#options.outputs?.deliver(registration, response, input.bindingData ?? {});
    return { response, result: post.result };
  }
}
