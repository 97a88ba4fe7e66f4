/** What handling a work message did; the tier Function logs it, and the message completes. */
export type WorkResult =
  | 'completed'
  | 'failed'
  | 'duplicate'
  | 'rerouted'
  | 'rejected'
  | 'cancelled'
  | 'planned'
  /** One chunk of a large inventory planned; a continuation message plans the next. */
  | 'planning'
  | 'batch-completed'
  /** A transient failure: a successor message is scheduled (back-off) and this one completes. */
  | 'retry-scheduled'
  /** The chain tried for its whole time: what was left is recorded as failed and dead-lettered. */
  | 'gave-up'
  | 'deferred'
  /** Its tier or organisation is held: the message is kept (parked) and sent again on resume. */
  | 'held'
  | 'scheduled'
  /**
   * Completed with a successor that carries on: it waited too long for execution slots (no attempt
   * counted), or it was parked while its hold was being lifted (sent again at once).
   */
  | 'rescheduled'
  /** Long-running operations are in progress at the back-end: a successor polls them when they are due. */
  | 'in-progress';
