/** What handling a work message did; the tier Function logs it, and the message completes. */
export type WorkResult =
  | 'completed'
  | 'failed'
  | 'duplicate'
  | 'rerouted'
  | 'rejected'
  | 'cancelled'
  | 'planned'
  | 'batch-completed'
  | 'deferred'
  /** Waited too long for execution slots: completed, with a scheduled successor that carries on. */
  | 'rescheduled';
