export * from './errors';
export * from './status';
export * from './batches';
export * from './requests';
export * from './messages';
export * from './problem';
