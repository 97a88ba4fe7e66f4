/**
 * Which bindings the local host serves. Anything else is refused at start-up (naming the function and
 * the binding), or — behind `--allow-unsupported-bindings` — reported once and failed on every
 * invocation: a binding is never silently ignored.
 */
import type { RpcBindingInfo } from './functions-core';
import type { FunctionRegistration } from './registrations';

/** Triggers the host runs. */
export const supportedTriggerTypes = ['httpTrigger', 'serviceBusTrigger', 'timerTrigger'] as const;
/** Output binding types the host delivers (http only for HTTP triggers). */
export const supportedOutputTypes = ['http', 'serviceBus', 'blob', 'table'] as const;

export interface UnsupportedBinding {
  functionName: string;
  bindingName: string;
  type: string;
  direction: string;
  /** One sentence naming the function and the binding. */
  message: string;
}

function isTrigger(binding: RpcBindingInfo): boolean {
  return /trigger$/i.test(String(binding.type ?? ''));
}

function sameType(type: string, list: readonly string[]): boolean {
  return list.some((t) => t.toLowerCase() === type.toLowerCase());
}

/** Every binding of one function that the local host does not serve (empty when all are served). */
export function unsupportedBindings(registration: FunctionRegistration): UnsupportedBinding[] {
  const problems: UnsupportedBinding[] = [];
  const triggerType = registration.trigger.type;
  for (const [bindingName, binding] of Object.entries(registration.bindings)) {
    const type = String(binding.type ?? '(none)');
    const direction = String(binding.direction ?? 'in');
    let reason: string | undefined;
    if (isTrigger(binding)) {
      if (!sameType(type, supportedTriggerTypes))
        reason = `the trigger type "${type}" is not run by the local host (it runs ${supportedTriggerTypes.join(', ')})`;
    } else if (direction === 'out') {
      if (!sameType(type, supportedOutputTypes)) {
        reason = `the output binding type "${type}" is not supported by the local host (it delivers serviceBus, blob and table outputs)`;
      } else if (type.toLowerCase() === 'http' && triggerType.toLowerCase() !== 'httptrigger') {
        reason = `an http output needs an HTTP trigger`;
      }
    } else {
      reason = `${direction === 'in' ? 'input' : direction} bindings ("${type}") are not supported by the local host`;
    }
    if (reason) {
      problems.push({
        functionName: registration.name,
        bindingName,
        type,
        direction,
        message: `function "${registration.name}", binding "${bindingName}": ${reason}`,
      });
    }
  }
  return problems;
}

/** The unsupported bindings of every registration, by function name. */
export function unsupportedBindingsByFunction(
  registrations: FunctionRegistration[],
): Map<string, UnsupportedBinding[]> {
  const result = new Map<string, UnsupportedBinding[]>();
  for (const registration of registrations) {
    const problems = unsupportedBindings(registration);
    if (problems.length > 0) result.set(registration.name, problems);
  }
  return result;
}

/** Thrown into an invocation of a function with a binding the host cannot serve. */
export class UnsupportedBindingError extends Error {
  constructor(problems: UnsupportedBinding[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'UnsupportedBindingError';
  }
}
