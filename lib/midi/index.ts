export * from './smf.js';
export * from './note-spans.js';
