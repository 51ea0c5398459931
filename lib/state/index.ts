export * from './write-file-atomic.js';
export * from './state-dir.js';
export * from './state-lock.js';
export * from './journal.js';
