/** Service Bus delivers JSON bodies parsed; a string or binary body (another producer's content type) is parsed here. */
export function messageBody(message: unknown): unknown {
  if (typeof message === 'string') {
    try {
      return JSON.parse(message) as unknown;
    } catch {
      return message;
    }
  }
  if (Buffer.isBuffer(message)) return messageBody(message.toString('utf8'));
  return message;
}
